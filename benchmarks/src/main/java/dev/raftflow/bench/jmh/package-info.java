/** JMH benchmarks of the engine's hot paths: the codec, the in-memory log, propose-to-commit on a local group. */
package dev.raftflow.bench.jmh;

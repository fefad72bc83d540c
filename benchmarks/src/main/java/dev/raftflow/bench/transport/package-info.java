/** JMH benchmarks of the RSocket transport: message throughput and latency between two endpoints on loopback. */
package dev.raftflow.bench.transport;

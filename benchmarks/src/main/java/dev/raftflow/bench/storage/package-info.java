/** JMH benchmarks and figures of the Chronicle log store: durable appends, reads, the cost of a sync. */
package dev.raftflow.bench.storage;

/**
 * In-memory implementations of the SPIs: a {@link dev.raftflow.engine.memory.MemoryLogStore} durable on
 * return and a {@link dev.raftflow.engine.memory.MemoryNetwork} of {@link
 * dev.raftflow.engine.memory.MemoryTransport}s, for tests, examples and benchmarks in one process.
 */
package dev.raftflow.engine.memory;

/**
 * The Raft core: a pure, deterministic state machine per member ({@link dev.raftflow.engine.core.RaftCore},
 * the dispatcher) whose rules live in units that own their state; its only output is {@link
 * dev.raftflow.engine.core.Ready} (messages, one write, messages after the write, outcomes) plus the
 * apply handout. No threads, clock or I/O; randomness only from an injected seed. The driver contract
 * is written out in {@code docs/design.md}.
 */
package dev.raftflow.engine.core;

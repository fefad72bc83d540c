/**
 * Test-side instruments for {@link dev.raftflow.engine.spi.LogStore}s: what tests measure about a
 * store without the store carrying test hooks. {@link dev.raftflow.engine.testkit.MeteredLogStore}
 * forwards to any store and keeps a {@link dev.raftflow.engine.testkit.RaftStateMeter} of what it
 * forwarded (the 6.5840 lab's {@code raftStateSize()} and the latest snapshot).
 */
package dev.raftflow.engine.testkit;

/**
 * What a leader tracks of its followers: {@link dev.raftflow.engine.core.tracker.Progress} (probe,
 * replicate, snapshot) with its in-flight window and snapshot transfer, the
 * {@link dev.raftflow.engine.core.tracker.ProgressTracker} pairing the configuration with the
 * followers' progress, and the vote tally of a candidate. Not thread-safe: owned by one core.
 */
package dev.raftflow.engine.core.tracker;

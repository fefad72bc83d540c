package dev.raftflow.engine.node;

import dev.raftflow.engine.NodeMetrics;
import dev.raftflow.engine.core.RaftCore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A node's counters. Those the event loop alone writes are volatile fields (written only when they
 * change); those any thread bumps are atomics. {@link #snapshot} may be read from any thread.
 */
final class NodeCounters {

  final AtomicInteger queuedProposals = new AtomicInteger();
  final AtomicLong proposalsRefused = new AtomicLong();
  final AtomicLong messagesDropped = new AtomicLong();
  private volatile long proposalsAccepted;
  private volatile long messagesSent;
  private volatile long messagesReceived;
  private volatile long logWrites;
  private volatile long entriesWritten;
  private volatile long logWriteNanos;
  private volatile long readsConfirmed;
  private volatile long readsFailed;
  private volatile long readsByLease;
  private volatile long snapshotsTaken;
  private volatile int pendingWrites;
  private volatile long electionsStarted;
  private volatile long leadershipsWon;
  private volatile long snapshotChunksSent;
  private volatile long snapshotsInstalled;
  private volatile long bytesWritten;

  // distributions: written by the loop only, allocation-free
  final LogScaleHistogram commitLatency = new LogScaleHistogram();
  final LogScaleHistogram applyLatency = new LogScaleHistogram();
  final LogScaleHistogram logWriteLatency = new LogScaleHistogram();
  final LogScaleHistogram writeBatchEntries = new LogScaleHistogram();
  /** Proposed entries (as leader) waiting to be committed, with when they were accepted. */
  private final IndexTimeline proposed = new IndexTimeline(256);
  /** Committed entries waiting to be handed to the service, with when they were committed. */
  private final IndexTimeline committed = new IndexTimeline(256);
  private long commitSeen = -1;
  private long appliedSeen = -1;

  // written by the loop only: plain increments of volatile fields are safe with a single writer

  void accepted(int n) {
    proposalsAccepted += n;
  }

  void sent() {
    messagesSent++;
  }

  void received() {
    messagesReceived++;
  }

  void writeStarted(int entries, long bytes) {
    logWrites++;
    if (entries > 0) {
      entriesWritten += entries;
      bytesWritten += bytes;
      writeBatchEntries.record(entries);
    }
  }

  void writeDone(long nanos) {
    logWriteNanos += nanos;
    logWriteLatency.record(nanos);
  }

  /** As leader, entries {@code first..last} were taken into the log now. */
  void proposed(long first, long last) {
    proposed.mark(first, last, System.nanoTime());
  }

  /**
   * Once per loop turn, before committed entries go to the service: times the proposals now
   * committed (forgetting them when this node no longer leads) and notes when new entries committed.
   */
  void committed(boolean leading, long commitIndex) {
    if (!leading) {
      proposed.clear();
    }
    if (commitIndex == commitSeen) {
      return; // nothing newly committed: no clock read
    }
    long now = System.nanoTime();
    if (!proposed.isEmpty()) {
      proposed.reach(commitIndex, now, commitLatency);
    }
    if (commitSeen >= 0 && commitIndex > commitSeen) {
      committed.mark(commitSeen + 1, commitIndex, now);
    }
    commitSeen = commitIndex;
  }

  /** Once per loop turn, after entries went to the service: times those handed over up to {@code appliedIndex}. */
  void applied(long appliedIndex) {
    if (appliedIndex != appliedSeen) {
      appliedSeen = appliedIndex;
      if (!committed.isEmpty()) {
        committed.reach(appliedIndex, System.nanoTime(), applyLatency);
      }
    }
  }

  void readsConfirmed(int n) {
    readsConfirmed += n;
  }

  void readByLease() {
    readsByLease++;
  }

  void readsFailed(int n) {
    readsFailed += n;
  }

  /** The leader's view of its followers, refreshed every tick; empty on a member that does not lead. */
  private volatile java.util.List<FollowerProgress> followers = java.util.List.of();

  java.util.List<FollowerProgress> followers() {
    return followers;
  }

  /** Once a tick: copies the core's view of its followers (nothing to copy unless it leads). */
  void publishFollowers(RaftCore core) {
    java.util.Map<String, long[]> progress = core.followerProgress();
    if (progress.isEmpty()) {
      if (!followers.isEmpty()) {
        followers = java.util.List.of();
      }
      return;
    }
    long last = core.lastIndex();
    java.util.List<FollowerProgress> out = new java.util.ArrayList<>(progress.size());
    progress.forEach((id, p) -> out.add(new FollowerProgress(id, p[0], Math.max(0, last - p[0]), (int) p[1])));
    followers = java.util.List.copyOf(out);
  }

  void snapshotTaken() {
    snapshotsTaken++;
  }

  /** Copies the core's counters and the pipeline's depth (only what changed). */
  void publish(RaftCore core, int pendingWriteCount) {
    if (pendingWrites != pendingWriteCount) {
      pendingWrites = pendingWriteCount;
    }
    if (electionsStarted != core.electionsStarted()) {
      electionsStarted = core.electionsStarted();
    }
    if (leadershipsWon != core.leadershipsWon()) {
      leadershipsWon = core.leadershipsWon();
    }
    if (snapshotChunksSent != core.snapshotChunksSent()) {
      snapshotChunksSent = core.snapshotChunksSent();
    }
    if (snapshotsInstalled != core.snapshotsInstalled()) {
      snapshotsInstalled = core.snapshotsInstalled();
    }
  }

  int queuedProposals() {
    return Math.max(0, queuedProposals.get());
  }

  NodeMetrics snapshot() {
    return new NodeMetrics(proposalsAccepted, proposalsRefused.get(), messagesSent, messagesReceived,
        messagesDropped.get(), logWrites, entriesWritten, logWriteNanos, electionsStarted, leadershipsWon,
        snapshotsTaken, snapshotChunksSent, snapshotsInstalled, readsConfirmed, readsFailed, readsByLease, queuedProposals(),
        pendingWrites, bytesWritten, commitLatency, applyLatency, logWriteLatency, writeBatchEntries);
  }
}

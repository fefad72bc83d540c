package dev.raftflow.bench;

import dev.raftflow.engine.node.RaftNode;

/** What a {@link Measurement} samples each second of the cluster under load. */
interface LoadTarget {

  /** The member shown in the progress line as leader (of the first group), or null. */
  RaftNode leader();

  /** Proposals waiting in every member's queue. */
  long queuedProposals();

  /** Entries a leader holds that its service has not taken yet (the largest over groups). */
  long leaderUnapplied();
}

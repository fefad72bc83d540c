package dev.raftflow.engine.message;

/**
 * A Raft message between two members of one group. Every message carries the sender's current
 * term and the ids of sender and receiver. Messages are immutable values; a transport may
 * deliver them late, twice, out of order, or not at all, and the core copes with all four.
 */
public sealed interface Message
    permits RequestVote, VoteResponse, AppendEntries, AppendResponse, InstallSnapshot, SnapshotResponse, TimeoutNow,
        ReadIndexRequest, ReadIndexResponse, Quiesce {

  /** The sender's current term. */
  long term();

  /** The sender's node id. */
  String from();

  /** The receiver's node id. */
  String to();

  /** True for a request (votes, appends, snapshots, TimeoutNow, read index, Quiesce), false for a response. */
  default boolean isRequest() {
    return this instanceof RequestVote || this instanceof AppendEntries || this instanceof InstallSnapshot
        || this instanceof TimeoutNow || this instanceof ReadIndexRequest || this instanceof Quiesce;
  }
}

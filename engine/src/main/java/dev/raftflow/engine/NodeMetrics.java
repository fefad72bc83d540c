package dev.raftflow.engine;

/**
 * Counters of one node since it started, read with {@link
 * dev.raftflow.engine.node.RaftNode#metrics()} from any thread. Each counter only grows; two calls
 * a second apart give rates. The counters are read one by one, so a
 * picture taken while the node works may mix counts of neighbouring loop turns. The {@link
 * Histogram}s are live views of distributions the node keeps recording into (take their {@link
 * Histogram#snapshot()} to compute quantiles); recording them allocates nothing.
 *
 * @param proposalsAccepted commands this node appended to its log as leader
 * @param proposalsRefused proposals refused (not leader, overloaded, too large, closed, or handed
 *     over during a leadership transfer)
 * @param messagesSent messages handed to the transport
 * @param messagesReceived messages taken from the transport and handled
 * @param messagesDropped messages dropped as from an unknown member or addressed elsewhere
 * @param logWrites writes handed to the log store (each made durable per the store's policy)
 * @param entriesWritten log entries in those writes
 * @param logWriteNanos time from handing writes to the store until the node learned they were
 *     durable, summed over all writes: divided by {@code logWrites}, the mean write latency
 * @param electionsStarted elections this node started as a candidate
 * @param leadershipsWon elections it won
 * @param snapshotsTaken snapshots the service handed to this node
 * @param snapshotChunksSent InstallSnapshot chunks sent as leader
 * @param snapshotsInstalled snapshots installed from a leader
 * @param readsConfirmed linearizable reads ({@link dev.raftflow.engine.node.RaftNode#readIndex()})
 *     confirmed by a majority
 * @param readsFailed reads failed because leadership was lost before they were confirmed
 * @param readsByLease reads answered under the leader's lease, without a round ({@link
 *     RaftOptions#leaseReads()}); not counted in {@code readsConfirmed}
 * @param queuedProposals proposals waiting for the loop now
 * @param pendingWrites log writes under way now
 * @param bytesWritten bytes of entry data (commands and configurations) in the log writes
 * @param commitLatency nanoseconds from a proposal being taken into the leader's log until the
 *     leader saw it committed, one value per entry (recorded while this node leads)
 * @param applyLatency nanoseconds from an entry being seen committed until it was handed to the
 *     service's apply stream, one value per entry (entries skipped by an installed snapshot count as
 *     handed over with it)
 * @param logWriteLatency nanoseconds from handing a write to the log store until the node learned
 *     it was durable (the fsync latency under {@code fsync} durability), one value per write
 * @param writeBatchEntries entries per log write that carried entries: the append batch size
 */
public record NodeMetrics(
    long proposalsAccepted,
    long proposalsRefused,
    long messagesSent,
    long messagesReceived,
    long messagesDropped,
    long logWrites,
    long entriesWritten,
    long logWriteNanos,
    long electionsStarted,
    long leadershipsWon,
    long snapshotsTaken,
    long snapshotChunksSent,
    long snapshotsInstalled,
    long readsConfirmed,
    long readsFailed,
    long readsByLease,
    int queuedProposals,
    int pendingWrites,
    long bytesWritten,
    Histogram commitLatency,
    Histogram applyLatency,
    Histogram logWriteLatency,
    Histogram writeBatchEntries) {

  /** Mean time for a log write to become durable, in microseconds (0 before the first). */
  public double meanLogWriteMicros() {
    return logWrites == 0 ? 0 : logWriteNanos / 1e3 / logWrites;
  }

  /** Mean log entries per write: how well proposals were batched (0 before the first write). */
  public double entriesPerWrite() {
    return logWrites == 0 ? 0 : (double) entriesWritten / logWrites;
  }
}

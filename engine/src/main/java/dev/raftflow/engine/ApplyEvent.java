package dev.raftflow.engine;

/**
 * One element of a node's apply stream (the service's view of the replicated log): either a
 * committed entry or a snapshot to load. Events arrive strictly in log order: indexes never go
 * back, a snapshot is followed by the entries after it, entries have no gaps.
 */
public sealed interface ApplyEvent permits ApplyEvent.Entry, ApplyEvent.SnapshotInstalled {

  /** The log index this event brings the service up to. */
  long index();

  /**
   * A committed entry.
   *
   * @param noop true for the empty entry a new leader appends; services skip these
   */
  record Entry(long index, long term, byte[] command, boolean noop) implements ApplyEvent {}

  /** The service must replace its state with this snapshot, which covers entries up to index. */
  record SnapshotInstalled(long index, long term, byte[] data) implements ApplyEvent {}
}

package dev.raftflow.engine.spi;

import java.util.Set;

/**
 * Durable storage shared by every Raft group of one process (multi-raft): each group sees its own
 * {@link LogStore} (hard state, log, snapshots, recovered on its own), while an implementation may
 * write all groups' records to one log and make a round of many groups' writes durable with one
 * sync (group commit across groups).
 *
 * <p>Damage inside one group's acknowledged entries is reported by that group's {@link
 * LogStore#load()} naming the group and the place; the other groups still open.
 *
 * <p>Threading: every method from any thread; each group's {@link LogStore} follows its own
 * contract (called from that group's loop).
 */
public interface HostLogStore extends AutoCloseable {

  /**
   * Opens group {@code groupId}'s store: a new, empty one when the group has no data here.
   *
   * @throws IllegalStateException when the group's store is already open or this store is closed
   */
  LogStore openGroup(String groupId);

  /** The groups with data in this store, open or not. */
  Set<String> groups();

  /**
   * Deletes group {@code groupId}'s data. Its store must be closed first.
   *
   * @throws IllegalStateException when the group's store is open
   */
  void deleteGroup(String groupId);

  /**
   * The groups whose oldest needed records keep the store from freeing its oldest file: a snapshot
   * of each would let compaction reclaim it. Empty by default (a store that never needs it). Any
   * thread; a fresh answer each call.
   */
  default Set<String> pinningGroups() {
    return Set.of();
  }

  /** Closes every group's store. What was durable stays durable. Idempotent. */
  @Override
  void close();
}

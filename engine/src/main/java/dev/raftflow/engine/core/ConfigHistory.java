package dev.raftflow.engine.core;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.core.quorum.JointConfig;
import dev.raftflow.engine.message.EntryType;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.Snapshot;
import dev.raftflow.engine.spi.StoredEntryList;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The configurations one member holds (Raft thesis ch. 4): the bootstrap members it was started with,
 * the configuration recorded by its snapshot, and the CONFIG entries of its log past the snapshot. A
 * configuration is in force from the moment its entry is appended; it is rolled back when that entry
 * is overwritten. Not thread-safe: owned by the core.
 */
final class ConfigHistory {

  /** The members given at construction: the configuration until the log or a snapshot says otherwise. */
  private final Membership bootstrap;
  /** The configuration as of the snapshot (the bootstrap one when none is recorded). */
  private Membership snapshotMembership;
  private long snapshotIndex;
  /** CONFIG entries held in the log past the snapshot, by index. */
  private final TreeMap<Long, Membership> entries = new TreeMap<>();
  /** The configuration in force: the latest CONFIG entry's, else the snapshot's. */
  private Membership current;
  /** Index of the entry that set {@link #current} (the snapshot's index, or 0, when none). */
  private long currentIndex;
  /** The voters deciding under {@link #current}. */
  private JointConfig voters;

  ConfigHistory(Membership bootstrap, Snapshot snapshot, List<LogEntry> restored) {
    this.bootstrap = bootstrap;
    this.snapshotIndex = snapshot == null ? 0 : snapshot.index();
    this.snapshotMembership = snapshot == null ? bootstrap : of(snapshot);
    if (restored instanceof StoredEntryList list) {
      for (long index : list.stored().configIndexes()) { // left in the store: read only the few that matter
        LogEntry e = list.stored().read(index);
        if (e.type() != EntryType.CONFIG) {
          throw new IllegalStateException("the store lists entry " + index + " as a configuration but it is " + e.type());
        }
        if (index > snapshotIndex) {
          entries.put(index, Membership.decode(e.data()));
        }
      }
    } else {
      for (LogEntry e : restored) {
        if (e.type() == EntryType.CONFIG && e.index() > snapshotIndex) {
          entries.put(e.index(), Membership.decode(e.data()));
        }
      }
    }
    recompute();
  }

  /** The configuration in force (it may not be committed yet). */
  Membership current() {
    return current;
  }

  /** Index of the entry that set the configuration in force (0 when it is the bootstrap one). */
  long currentIndex() {
    return currentIndex;
  }

  /** Whether the configuration in force is not known to be committed. */
  boolean isPending(long commitIndex) {
    return currentIndex > commitIndex;
  }

  /** The latest configuration whose entry is at or below {@code index} (at or after the snapshot). */
  Membership at(long index) {
    var e = entries.floorEntry(index);
    return e != null ? e.getValue() : snapshotMembership;
  }

  /** The configuration before the one in force (the one in force when it is the snapshot's). */
  Membership previous() {
    var before = entries.lowerEntry(currentIndex);
    return before != null ? before.getValue() : snapshotMembership;
  }

  /** The configuration a snapshot records; one written before memberships were kept: the bootstrap one. */
  Membership of(Snapshot s) {
    return s.membership() != null ? s.membership() : bootstrap;
  }

  /** Takes an appended entry; true when it is a CONFIG entry (the configuration in force changed). */
  boolean appended(LogEntry e) {
    if (e.type() != EntryType.CONFIG) {
      return false;
    }
    entries.put(e.index(), Membership.decode(e.data()));
    recompute();
    return true;
  }

  /** Entries at and after {@code index} were overwritten; true when a configuration was rolled back. */
  boolean truncatedFrom(long index) {
    var tail = entries.tailMap(index, true);
    if (tail.isEmpty()) {
      return false;
    }
    tail.clear(); // a configuration never committed: back to the one before
    recompute();
    return true;
  }

  /** The member took a snapshot at {@code index}: the configuration then in force is the snapshot's. */
  Membership compacted(long index) {
    snapshotMembership = at(index);
    snapshotIndex = index;
    entries.headMap(index, true).clear();
    recompute();
    return snapshotMembership;
  }

  /**
   * The member installed snapshot {@code s} from the leader; {@code logKept} when its log matched at
   * the snapshot's index (later entries stay), else the whole log was dropped.
   */
  void installed(Snapshot s, boolean logKept) {
    if (logKept) {
      entries.headMap(s.index(), true).clear();
    } else {
      entries.clear();
    }
    snapshotMembership = of(s);
    snapshotIndex = s.index();
    recompute();
  }

  /**
   * Whether {@code peer} is a member of any configuration this member holds or started with:
   * messages from anyone else are not from the group.
   */
  boolean knows(String peer) {
    if (current.contains(peer) || bootstrap.contains(peer) || snapshotMembership.contains(peer)) {
      return true;
    }
    for (Membership m : entries.values()) {
      if (m.contains(peer)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether {@code id} may stand for election: as a voter of the configuration in force, or, while
   * that configuration is not known to be committed, as a voter of the one before it. Until the new
   * configuration commits, a member it removes may be the only one holding it (thesis §4.2.2): it
   * must be able to lead long enough to commit it, then it steps down.
   */
  boolean mayCampaign(String id, long commitIndex) {
    return current.isVoter(id) || (isPending(commitIndex) && previous().isVoter(id));
  }

  /** The voters of the configuration in force (of both halves while joint) other than {@code self}, sorted. */
  List<String> votersOtherThan(String self) {
    List<String> peers = new ArrayList<>();
    for (String p : current.members()) {
      if (!p.equals(self) && current.isVoter(p)) {
        peers.add(p);
      }
    }
    return peers;
  }

  /** The voters deciding under the configuration in force (both halves while joint). */
  JointConfig voters() {
    return voters;
  }

  private void recompute() {
    var last = entries.lastEntry();
    current = last != null ? last.getValue() : snapshotMembership;
    currentIndex = last != null ? last.getKey() : snapshotIndex;
    voters = JointConfig.of(current.voters(), current.outgoingVoters());
  }
}

package dev.raftflow.engine;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of one node. Immutable; build with {@link #builder()}. Time inside the core is counted in
 * ticks of {@link #tickInterval()}; the election timeout of each term is drawn uniformly from
 * {@code [electionTicks, 2 * electionTicks)} with the node's seeded random source.
 *
 * <p>Invalid values fail {@link Builder#build()} with an {@link IllegalArgumentException} naming the
 * option. Whether the messages these options produce fit a transport is checked separately, by
 * {@code MessageSizes.requireFit}: the defaults fit any transport that carries messages of 2 MiB
 * (the RSocket transport carries ~16 MiB by default).
 */
public final class RaftOptions {

  private final Duration tickInterval;
  private final int heartbeatTicks;
  private final int electionTicks;
  private final int maxEntriesPerMessage;
  private final int maxBytesPerMessage;
  private final int snapshotChunkBytes;
  private final int snapshotCatchUpEntries;
  private final int maxInflightMessages;
  private final long maxInflightBytes;
  private final int maxPendingProposals;
  private final boolean leaderNoop;
  private final int inboundPrefetch;
  private final int maxUnappliedEntries;
  private final boolean checkQuorum;
  private final boolean preVote;
  private final int maxCommandBytes;
  private final long promotionLagEntries;
  private final boolean leaseReads;
  private final boolean followerReads;
  private final int leaseClockDriftPercent;
  private final boolean quiesce;
  private final int logEntriesInMemory;

  private RaftOptions(Builder b) {
    this.tickInterval = b.tickInterval;
    this.heartbeatTicks = b.heartbeatTicks;
    this.electionTicks = b.electionTicks;
    this.maxEntriesPerMessage = b.maxEntriesPerMessage;
    this.maxBytesPerMessage = b.maxBytesPerMessage;
    this.snapshotChunkBytes = b.snapshotChunkBytes;
    this.snapshotCatchUpEntries = b.snapshotCatchUpEntries;
    this.maxInflightMessages = b.maxInflightMessages;
    this.maxInflightBytes = b.maxInflightBytes;
    this.maxPendingProposals = b.maxPendingProposals;
    this.leaderNoop = b.leaderNoop;
    this.inboundPrefetch = b.inboundPrefetch;
    this.maxUnappliedEntries = b.maxUnappliedEntries;
    this.checkQuorum = b.checkQuorum;
    this.preVote = b.preVote;
    this.maxCommandBytes = b.maxCommandBytes;
    this.promotionLagEntries = b.promotionLagEntries;
    this.leaseReads = b.leaseReads;
    this.followerReads = b.followerReads;
    this.leaseClockDriftPercent = b.leaseClockDriftPercent;
    this.quiesce = b.quiesce;
    this.logEntriesInMemory = b.logEntriesInMemory;
  }

  public static RaftOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder()
        .tickInterval(tickInterval)
        .heartbeatTicks(heartbeatTicks)
        .electionTicks(electionTicks)
        .maxEntriesPerMessage(maxEntriesPerMessage)
        .maxBytesPerMessage(maxBytesPerMessage)
        .snapshotChunkBytes(snapshotChunkBytes)
        .snapshotCatchUpEntries(snapshotCatchUpEntries)
        .maxInflightMessages(maxInflightMessages)
        .maxInflightBytes(maxInflightBytes)
        .maxPendingProposals(maxPendingProposals)
        .leaderNoop(leaderNoop)
        .inboundPrefetch(inboundPrefetch)
        .maxUnappliedEntries(maxUnappliedEntries)
        .checkQuorum(checkQuorum)
        .preVote(preVote)
        .maxCommandBytes(maxCommandBytes)
        .promotionLagEntries(promotionLagEntries)
        .leaseReads(leaseReads)
        .followerReads(followerReads)
        .leaseClockDriftPercent(leaseClockDriftPercent)
        .quiesce(quiesce)
        .logEntriesInMemory(logEntriesInMemory);
  }

  /** Length of one tick of the core's logical clock. Default 10 ms. */
  public Duration tickInterval() {
    return tickInterval;
  }

  /** Ticks between two heartbeats of a leader. Default 10 (100 ms). */
  public int heartbeatTicks() {
    return heartbeatTicks;
  }

  /**
   * Minimum election timeout in ticks; must exceed {@link #heartbeatTicks()}. Each term draws the
   * timeout from [electionTicks, 2 × electionTicks). Default 50 (500–1000 ms): chosen from measured
   * spurious elections on a loaded 2-core host (docs/benchmarks.md).
   */
  public int electionTicks() {
    return electionTicks;
  }

  /** Most entries in one AppendEntries. Default 512. */
  public int maxEntriesPerMessage() {
    return maxEntriesPerMessage;
  }

  /**
   * Most bytes of entry data in one AppendEntries (one larger entry still travels alone). With the
   * encoding overhead of {@link #maxEntriesPerMessage()} entries it must fit the transport's
   * message limit ({@code MessageSizes.requireFit}). Default 1 MiB.
   */
  public int maxBytesPerMessage() {
    return maxBytesPerMessage;
  }

  /**
   * Bytes of snapshot in one InstallSnapshot: a larger snapshot travels in chunks, at most
   * {@link #maxInflightMessages()} of them unanswered. With the chunk's header and the snapshot's
   * membership it must fit the transport's message limit ({@code MessageSizes.requireFit}).
   * Default 1 MiB.
   */
  public int snapshotChunkBytes() {
    return snapshotChunkBytes;
  }

  /**
   * Entries a leader keeps in memory behind its latest snapshot for followers that are receiving a
   * snapshot or catching up from one, so that they can go on from the log instead of needing the
   * next snapshot; beyond this many the leader compacts anyway. 0 keeps none. Default 10,000.
   */
  public int snapshotCatchUpEntries() {
    return snapshotCatchUpEntries;
  }

  /** AppendEntries (or snapshot chunks) in flight to one follower. Default 8. */
  public int maxInflightMessages() {
    return maxInflightMessages;
  }

  /**
   * Entry payload bytes in flight to one follower: a replicating follower gets no further
   * AppendEntries while at least this many bytes are unanswered (at least one message always goes).
   * Default {@link Long#MAX_VALUE}: only {@link #maxInflightMessages()} bounds the window.
   */
  public long maxInflightBytes() {
    return maxInflightBytes;
  }

  /**
   * How far behind the leader's log (in entries) a member may be when a membership change makes it a
   * voter; a change adding a voter further behind is refused unless forced (add it as a learner and
   * promote it once caught up). Default 1,000.
   */
  public long promotionLagEntries() {
    return promotionLagEntries;
  }

  /**
   * Lease reads (Raft thesis §6.4.1): a leader that a majority answered within the last election
   * timeout (less {@link #leaseClockDriftPercent()}), measured on its own monotonic clock, answers
   * {@code readIndex()} at once, without a round of heartbeats: no other leader can have been elected
   * meanwhile, because members that hear a leader refuse votes for an election timeout. Safe only
   * while clocks advance at rates within the drift bound; the lease is dropped on any doubt (a change
   * of term, role or configuration, and for two election timeouts after a leadership transfer is
   * started), and reads then fall back to ReadIndex. Requires {@link #checkQuorum()}. Default false.
   */
  public boolean leaseReads() {
    return leaseReads;
  }

  /**
   * Follower reads (Raft thesis §6.4): {@code readIndex()} on a follower (or learner) asks the leader
   * for a read point (a ReadIndex round there) and completes once this member has applied it, so
   * reads spread over the members; without, it fails {@code NotLeaderException}. Every member must
   * run a version that knows the read-index messages. Default false.
   */
  public boolean followerReads() {
    return followerReads;
  }

  /**
   * Idle groups go quiet (multi-raft): a leader whose followers all hold every entry, durably and
   * committed, with no read, transfer or membership change under way, stops its heartbeats after an
   * election timeout of such calm and tells its followers ({@code Quiesce}); they stop their
   * election clocks. A quiet member costs no ticks. Any message, proposal or read wakes it; a
   * follower is also woken by its host when the leader's host stops answering (see {@code RaftHost}),
   * so a quiet group without such a host notices a dead leader only when something wakes it. Every
   * member must run a version (and a transport) that knows the {@code Quiesce} message. Default false.
   */
  public boolean quiesce() {
    return quiesce;
  }

  /**
   * How much faster (in percent) one member's clock may run than another's: the lease is the
   * election timeout shortened by this much. 0..50; default 10.
   */
  public int leaseClockDriftPercent() {
    return leaseClockDriftPercent;
  }

  /** Proposals waiting for the event loop; beyond this {@code propose} fails Overloaded. Default 8192. */
  public int maxPendingProposals() {
    return maxPendingProposals;
  }

  /** Whether a new leader appends an empty entry to commit earlier terms' entries. Default true. */
  public boolean leaderNoop() {
    return leaderNoop;
  }

  /** Inbound messages requested from the transport ahead of processing. Default 1024. */
  public int inboundPrefetch() {
    return inboundPrefetch;
  }

  /**
   * Most entries a leader holds beyond what its service has taken from the apply stream; beyond it,
   * proposals fail Overloaded. This bounds memory when followers or the service fall behind.
   * Default 16384.
   */
  public int maxUnappliedEntries() {
    return maxUnappliedEntries;
  }

  /**
   * Whether a leader that has not heard from a majority within {@link #electionTicks()} ticks steps
   * down, so that clients of a cut-off leader are redirected instead of waiting. With it, a member
   * that leads or heard from a leader within {@link #electionTicks()} also ignores vote requests of
   * newer terms (except from a member the leader handed over to), so that one that cannot hear the
   * leader, or was removed without learning it, cannot depose it. Default true.
   */
  public boolean checkQuorum() {
    return checkQuorum;
  }

  /**
   * Whether a member runs a pre-vote before a real election (Raft thesis §9.6): it raises its term
   * only if a majority would vote for it, so a member cut off and coming back does not depose a
   * healthy leader. Members that hear from a leader refuse pre-votes. Default true.
   */
  public boolean preVote() {
    return preVote;
  }

  /**
   * Largest command {@code propose}/{@code submit} accept, in bytes; larger ones fail at once with
   * {@link IllegalArgumentException}. The log store's own limit ({@code LogStore#maxEntryBytes()})
   * applies too, whichever is lower. One entry travels whole in one AppendEntries, so it must fit
   * the transport's message limit ({@code MessageSizes.requireFit}). Default 1 MiB.
   */
  public int maxCommandBytes() {
    return maxCommandBytes;
  }

  /**
   * How many of its latest entries a member keeps in memory, at least. Older entries it has applied
   * and made durable are left in the log store when the store reads entries back ({@code
   * LogStore#entryReader()}: the Chronicle stores and the in-memory ones do), and read from it for a
   * follower that needs them, so a member's heap stops growing with the entries since its last
   * snapshot: for many groups per process that snapshot rarely. A leader keeps in memory what it
   * keeps behind its snapshot for followers catching up. Default: all ({@link Integer#MAX_VALUE}):
   * releasing costs a little CPU and, measured, buys no throughput (see docs/multi-raft.md).
   */
  public int logEntriesInMemory() {
    return logEntriesInMemory;
  }

  @Override
  public String toString() {
    return "RaftOptions{tick=" + tickInterval + ", heartbeatTicks=" + heartbeatTicks
        + ", electionTicks=" + electionTicks + ", maxEntriesPerMessage=" + maxEntriesPerMessage
        + ", maxBytesPerMessage=" + maxBytesPerMessage + ", snapshotChunkBytes=" + snapshotChunkBytes
        + ", snapshotCatchUpEntries=" + snapshotCatchUpEntries
        + ", maxInflightMessages=" + maxInflightMessages + ", maxInflightBytes=" + maxInflightBytes
        + ", maxPendingProposals=" + maxPendingProposals + ", leaderNoop=" + leaderNoop
        + ", inboundPrefetch=" + inboundPrefetch + ", maxUnappliedEntries=" + maxUnappliedEntries + ", checkQuorum=" + checkQuorum + ", preVote=" + preVote + ", maxCommandBytes=" + maxCommandBytes + ", promotionLagEntries=" + promotionLagEntries + ", leaseReads=" + leaseReads + ", followerReads=" + followerReads + ", leaseClockDriftPercent=" + leaseClockDriftPercent + ", quiesce=" + quiesce + ", logEntriesInMemory=" + logEntriesInMemory + "}";
  }

  /** Builder of {@link RaftOptions}; {@link #build()} validates. */
  public static final class Builder {
    private Duration tickInterval = Duration.ofMillis(10);
    private int heartbeatTicks = 10;
    private int electionTicks = 50;
    private int maxEntriesPerMessage = 512;
    private int maxBytesPerMessage = 1 << 20;
    private int snapshotChunkBytes = 1 << 20;
    private int snapshotCatchUpEntries = 10_000;
    private int maxInflightMessages = 8;
    private long maxInflightBytes = Long.MAX_VALUE;
    private int maxPendingProposals = 8192;
    private boolean leaderNoop = true;
    private int inboundPrefetch = 1024;
    private int maxUnappliedEntries = 1 << 14;
    private boolean checkQuorum = true;
    private boolean preVote = true;
    private int maxCommandBytes = 1 << 20;
    private long promotionLagEntries = 1000;
    private boolean leaseReads;
    private boolean followerReads;
    private boolean quiesce;
    private int leaseClockDriftPercent = 10;
    private int logEntriesInMemory = Integer.MAX_VALUE;

    private Builder() {}

    public Builder logEntriesInMemory(int v) {
      this.logEntriesInMemory = v;
      return this;
    }

    public Builder maxCommandBytes(int v) {
      this.maxCommandBytes = v;
      return this;
    }

    public Builder preVote(boolean v) {
      this.preVote = v;
      return this;
    }

    public Builder checkQuorum(boolean v) {
      this.checkQuorum = v;
      return this;
    }

    public Builder maxUnappliedEntries(int v) {
      this.maxUnappliedEntries = v;
      return this;
    }

    public Builder tickInterval(Duration v) {
      this.tickInterval = Objects.requireNonNull(v, "tickInterval");
      return this;
    }

    public Builder heartbeatTicks(int v) {
      this.heartbeatTicks = v;
      return this;
    }

    public Builder electionTicks(int v) {
      this.electionTicks = v;
      return this;
    }

    public Builder maxEntriesPerMessage(int v) {
      this.maxEntriesPerMessage = v;
      return this;
    }

    public Builder maxBytesPerMessage(int v) {
      this.maxBytesPerMessage = v;
      return this;
    }

    public Builder snapshotChunkBytes(int v) {
      this.snapshotChunkBytes = v;
      return this;
    }

    public Builder snapshotCatchUpEntries(int v) {
      this.snapshotCatchUpEntries = v;
      return this;
    }

    public Builder maxInflightMessages(int v) {
      this.maxInflightMessages = v;
      return this;
    }

    public Builder maxInflightBytes(long v) {
      this.maxInflightBytes = v;
      return this;
    }

    public Builder maxPendingProposals(int v) {
      this.maxPendingProposals = v;
      return this;
    }

    public Builder leaderNoop(boolean v) {
      this.leaderNoop = v;
      return this;
    }

    public Builder inboundPrefetch(int v) {
      this.inboundPrefetch = v;
      return this;
    }

    public Builder promotionLagEntries(long v) {
      this.promotionLagEntries = v;
      return this;
    }

    public Builder leaseReads(boolean v) {
      this.leaseReads = v;
      return this;
    }

    /** See {@link RaftOptions#quiesce()}. */
    public Builder quiesce(boolean v) {
      this.quiesce = v;
      return this;
    }

    public Builder followerReads(boolean v) {
      this.followerReads = v;
      return this;
    }

    public Builder leaseClockDriftPercent(int v) {
      this.leaseClockDriftPercent = v;
      return this;
    }

    public RaftOptions build() {
      if (tickInterval.isNegative() || tickInterval.isZero()) {
        throw new IllegalArgumentException("tickInterval must be positive, was " + tickInterval);
      }
      positive("heartbeatTicks", heartbeatTicks);
      positive("electionTicks", electionTicks);
      if (electionTicks <= heartbeatTicks) {
        throw new IllegalArgumentException("electionTicks (" + electionTicks
            + ") must be greater than heartbeatTicks (" + heartbeatTicks + ")");
      }
      positive("maxEntriesPerMessage", maxEntriesPerMessage);
      positive("maxBytesPerMessage", maxBytesPerMessage);
      positive("snapshotChunkBytes", snapshotChunkBytes);
      if (snapshotCatchUpEntries < 0) {
        throw new IllegalArgumentException("snapshotCatchUpEntries must not be negative, was " + snapshotCatchUpEntries);
      }
      positive("maxInflightMessages", maxInflightMessages);
      if (maxInflightBytes <= 0) {
        throw new IllegalArgumentException("maxInflightBytes must be positive, was " + maxInflightBytes);
      }
      positive("maxPendingProposals", maxPendingProposals);
      positive("inboundPrefetch", inboundPrefetch);
      positive("maxUnappliedEntries", maxUnappliedEntries);
      positive("maxCommandBytes", maxCommandBytes);
      positive("logEntriesInMemory", logEntriesInMemory);
      if (promotionLagEntries < 0) {
        throw new IllegalArgumentException("promotionLagEntries must not be negative, was " + promotionLagEntries);
      }
      if (leaseClockDriftPercent < 0 || leaseClockDriftPercent > 50) {
        throw new IllegalArgumentException("leaseClockDriftPercent must be within 0..50, was " + leaseClockDriftPercent);
      }
      if (leaseReads && !checkQuorum) {
        throw new IllegalArgumentException("leaseReads needs checkQuorum: without it, members grant votes while they "
            + "still hear the leader, and a lease proves nothing");
      }
      return new RaftOptions(this);
    }

    private static void positive(String name, int value) {
      if (value <= 0) {
        throw new IllegalArgumentException(name + " must be positive, was " + value);
      }
    }
  }
}

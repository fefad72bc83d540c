package dev.raftflow.engine.core;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.Membership;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.message.InstallSnapshot;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.spi.LogWrite;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * A seeded, deterministic simulation of a group of {@link RaftCore}s under faults, checking Raft's
 * safety properties after every event.
 *
 * <p>Each member is driven the way {@code RaftNode} drives it: ticks, inbound messages, proposals;
 * after each event its {@link Ready} is handled: messages sent at once, the log write made durable
 * after a random disk delay (only then are the after-write messages sent and {@code persisted}
 * reported). A crash loses every write not yet durable and restarts the member from its store.
 * The network drops, delays (so reorders) and duplicates messages, and partitions the group into
 * groups of any shape. The service applies entries, hashes them into its state, and snapshots every
 * few entries.
 *
 * <p>Checked after every event: at most one leader per term; log matching between the member that
 * changed and every other; a new leader holds every committed entry; no two members apply different
 * commands (or states) at one index; apply and commit indexes never go back within a run of a
 * member; committed entries are never lost; a linearizable read (ReadIndex), asked of any member
 * that believes it leads, stale leaders included, is confirmed only with a read index at or past
 * every entry committed before it was asked. Leadership transfers are started now and then. After
 * the faults heal the group must commit again.
 *
 * <p>With membership changes on, the group starts with some of the members as voters (the others
 * run, knowing they are not members) and the leader is asked now and then to change to random
 * voters and learners. Also checked then: a member becomes candidate or leader only as a voter of
 * its configuration; after the heal, every member of the committed configuration must catch up.
 */
final class RandomizedSimulation {

  /** Raised on the first violated property; the message names the seed and what went wrong. */
  static final class Violation extends AssertionError {
    Violation(String message) {
      super(message);
    }
  }

  private static final long TICK_MS = 10;
  /** {@code -Draftflow.sim.trace=true}: print every delivery (for replaying one seed). */
  private static final boolean TRACE = Boolean.getBoolean("raftflow.sim.trace");

  private final long seed;
  private final Random rnd;
  /** Draws of the follower reads; null when they are off. */
  private final Random followerReadRnd;
  /** Draws of the client pauses when idle groups go quiet; null when they do not. */
  private final Random quietRnd;
  private long wokenByLiveness;
  /** Per member: since when (ms) it has been cut off from the leader it follows quietly, or -1. */
  private long[] cutOffSince;
  private final int n;
  private final List<String> ids = new ArrayList<>();
  /** The voters the group starts with: all members, or with membership changes some of them. */
  private final List<String> initialVoters;
  private final boolean membershipChanges;
  /** Draws for membership changes, apart from rnd. */
  private final Random membershipRnd;
  private long membershipChangesStarted;
  private final RaftOptions options;
  /** Bytes after a snapshot's 16-byte state, copies of it, so that a misassembled snapshot shows. */
  private final int snapshotPadding;
  private final Member[] members;
  private final PriorityQueue<Event> queue = new PriorityQueue<>();
  private long now;
  private long seq;

  // faults
  private int[] group; // partition: members talk only within the same group
  private double dropRate;
  private double duplicateRate;
  private long maxDelayMs;
  private int maxDiskDelayMs = 3;

  // global knowledge for the checks
  private final Map<Long, String> leaderOfTerm = new HashMap<>();
  private final Map<Long, LogEntry> committed = new HashMap<>();
  /**
   * Index -> the term of the member first seen with it committed: the term it was committed in (a
   * leader's commit index moves before any follower hears of it).
   */
  private final Map<Long, Long> committedInTerm = new HashMap<>();
  private long maxCommitted;
  private final Map<Long, Long> stateHashAt = new HashMap<>();
  private final Map<Long, byte[]> appliedCommandAt = new HashMap<>();
  private int proposalsAccepted;
  private long events;
  /** Reads asked and not yet answered: id -> the highest index committed when it was asked. */
  private final Map<Long, Long> readsAsked = new HashMap<>();
  private long readIds;
  private long readsConfirmed;
  /** Followers that reported a leader insisting on entries their log lacks (lost answers look alike). */
  private long behindLeaderReports;
  private long followerReadsAsked;
  private long readsFailed;
  private long transfersStarted;
  private long snapshotChunksSent;
  /** When the clients stop proposing (a second after the faults heal). */
  private long clientsStopAt = Long.MAX_VALUE;
  private long committedAtHeal = Long.MAX_VALUE;
  private long snapshotsInstalled;

  RandomizedSimulation(long seed, int n) {
    this(seed, n, false);
  }

  RandomizedSimulation(long seed, int n, boolean membershipChanges) {
    this(seed, n, membershipChanges, false);
  }

  /**
   * With {@code followerReads}, the members run with follower reads on and reads are also asked of
   * followers (drawn from a random stream of their own, so the other draws stay as without).
   */
  RandomizedSimulation(long seed, int n, boolean membershipChanges, boolean followerReads) {
    this(seed, n, membershipChanges, followerReads, false);
  }

  /**
   * With {@code quiesce}, idle groups go quiet ({@link RaftOptions#quiesce()}): the clients pause now
   * and then for long enough, and a host-liveness oracle wakes a quiet follower cut off from its
   * leader (partitioned from it or the leader down) for an election timeout, as {@code RaftHost}
   * does when a peer host stops answering. Its draws come from a stream of their own.
   */
  RandomizedSimulation(long seed, int n, boolean membershipChanges, boolean followerReads, boolean quiesce) {
    this.seed = seed;
    this.quietRnd = quiesce ? new Random(seed * 0x2545F4914F6CDD1DL + 17) : null;
    this.followerReadRnd = followerReads ? new Random(seed * 0x2545F4914F6CDD1DL + 11) : null;
    this.rnd = new Random(seed);
    this.n = n;
    for (int i = 0; i < n; i++) {
      ids.add("s" + i);
    }
    this.membershipChanges = membershipChanges;
    this.membershipRnd = new Random(seed * 0x2545F4914F6CDD1DL + 3);
    this.initialVoters = membershipChanges ? ids.subList(0, 1 + membershipRnd.nextInt(n)) : ids;
    // Drawn apart from rnd, so that seeds keep the schedules they had before snapshots went in
    // chunks. Snapshots of 16-64 bytes go in up to 64 chunks on some seeds: a transfer then takes
    // longer than members take to snapshot again, which only the entries a leader keeps behind its
    // snapshot (snapshotCatchUpEntries) get a follower through. Seeds that keep none (1 in 8) send
    // snapshots in at most 4 chunks: with more, a follower needing one never catches up (seed 4040).
    Random chunking = new Random(seed * 0x9E3779B97F4A7C15L + 1);
    this.snapshotPadding = chunking.nextInt(4) * 16;
    int catchUpEntries = chunking.nextInt(8) == 0 ? 0 : 10_000;
    int smallestChunk = catchUpEntries == 0 ? 16 : 1; // without catch-up entries, only short transfers
    // few entries in memory, the rest read back from the store: drawn apart, so every seed keeps its schedule
    int inMemory = 1 + new Random(seed * 0x2545F4914F6CDD1DL + 3).nextInt(12);
    RaftOptions drawn = RaftOptions.builder()
        .logEntriesInMemory(inMemory)
        .snapshotChunkBytes(chunking.nextBoolean() ? 1 << 20 : smallestChunk + chunking.nextInt(40))
        .snapshotCatchUpEntries(catchUpEntries)
        .tickInterval(java.time.Duration.ofMillis(TICK_MS))
        .heartbeatTicks(5)
        .electionTicks(15)
        .maxEntriesPerMessage(1 + rnd.nextInt(8))
        .maxInflightMessages(1 + rnd.nextInt(4))
        .leaderNoop(rnd.nextBoolean())
        .preVote(rnd.nextBoolean())
        .checkQuorum(rnd.nextBoolean())
        .build();
    // a removed member that missed its removal would depose leaders for ever without either pre-votes
    // or the leader lease that comes with CheckQuorum
    RaftOptions chosen = membershipChanges && !drawn.preVote() && !drawn.checkQuorum()
        ? drawn.toBuilder().checkQuorum(true).build() : drawn;
    RaftOptions withReads = followerReads ? chosen.toBuilder().followerReads(true).build() : chosen;
    this.options = quiesce ? withReads.toBuilder().quiesce(true).build() : withReads;
    this.cutOffSince = new long[n];
    Arrays.fill(cutOffSince, -1);
    this.members = new Member[n];
    this.group = new int[n];
    for (int i = 0; i < n; i++) {
      members[i] = new Member(i);
      members[i].boot();
      schedule(rnd.nextInt((int) TICK_MS), new Tick(i, members[i].incarnation));
    }
  }

  /**
   * Runs {@code faultyMs} of faults, heals everything, and requires every member to apply a new
   * entry: the group must keep moving (commit or some member's apply advancing at least every
   * {@code healMs}) and get there within 6 x {@code healMs} (a slow configuration may first have a
   * long backlog from the faulty phase to replicate).
   */
  void run(long faultyMs, long healMs) {
    schedule(0, new Chaos());
    schedule(1, new Client());
    if (quietRnd != null) {
      schedule(TICK_MS * options.heartbeatTicks(), new Liveness());
    }
    runUntil(faultyMs);
    heal();
    long before = maxCommitted;
    long healedAt = now;
    // clients write on at full rate for a second after the heal (and until something new commits),
    // then at about 10 commands a second, below what any configuration here replicates: a lagging
    // follower must then catch up with the leader (under a load above what a slow configuration
    // replicates, it would trail it for as long as that load lasts)
    clientsStopAt = now + 1000;
    committedAtHeal = before;
    long movedAt = now;
    long lastCommitted = maxCommitted;
    long lastApplied = minApplied();
    while (now - movedAt <= healMs && now - healedAt <= 6 * healMs) {
      runUntil(now + 50);
      if (maxCommitted > before && allAppliedTo(maxCommitted)) {
        return;
      }
      if (maxCommitted > lastCommitted || minApplied() > lastApplied) {
        movedAt = now;
        lastCommitted = maxCommitted;
        lastApplied = minApplied();
      }
    }
    throw violation("no convergence " + (now - healedAt) + " ms after the faults healed (committed " + before
        + " -> " + maxCommitted + (now - movedAt > healMs ? "; stalled for " + (now - movedAt) + " ms" : "") + "); "
        + describe());
  }

  private long minApplied() {
    long min = Long.MAX_VALUE;
    Set<String> group = groupMembers();
    for (Member m : members) {
      if (group.contains(m.id)) {
        min = Math.min(min, m.appliedIndex);
      }
    }
    return min;
  }

  /**
   * The members of the latest committed configuration, as the live member furthest along knows it:
   * those are the ones that must catch up (a removed member is no longer sent anything).
   */
  private Set<String> groupMembers() {
    Member best = null;
    for (Member m : members) {
      if (!m.down && (best == null || m.core.commitIndex() > best.core.commitIndex())) {
        best = m;
      }
    }
    return best == null ? new HashSet<>(ids) : best.core.committedMembership().members();
  }

  long membershipChangesStarted() {
    return membershipChangesStarted;
  }

  int proposalsAccepted() {
    return proposalsAccepted;
  }

  long committedEntries() {
    return maxCommitted;
  }

  long events() {
    return events;
  }

  long readsConfirmed() {
    return readsConfirmed;
  }

  long followerReadsAsked() {
    return followerReadsAsked;
  }

  long behindLeaderReports() {
    return behindLeaderReports;
  }

  long readsFailed() {
    return readsFailed;
  }

  long transfersStarted() {
    return transfersStarted;
  }

  /** InstallSnapshot messages carrying part of a snapshot (not all of it). */
  long snapshotChunksSent() {
    return snapshotChunksSent;
  }

  /** Snapshots that moved a member's state forward (installed from a leader). */
  long snapshotsInstalled() {
    return snapshotsInstalled;
  }

  private boolean allAppliedTo(long index) {
    Set<String> group = groupMembers();
    for (Member m : members) {
      if (group.contains(m.id) && m.appliedIndex < index) {
        return false;
      }
    }
    return true;
  }

  private void heal() {
    Arrays.fill(group, 0);
    dropRate = 0;
    duplicateRate = 0;
    maxDelayMs = 5;
    maxDiskDelayMs = 3; // slow disks heal too (seed 4104 of the membership run)
    for (Member m : members) {
      if (m.down) {
        m.boot();
        schedule(rnd.nextInt((int) TICK_MS), new Tick(m.index, m.incarnation));
      }
    }
    chaosOn = false;
  }

  private boolean chaosOn = true;

  private void runUntil(long until) {
    while (!queue.isEmpty() && queue.peek().at <= until) {
      Event e = queue.poll();
      now = e.at;
      events++;
      e.run();
    }
    now = until;
  }

  private void schedule(long delay, Runnable action) {
    queue.add(new Event(now + delay, seq++, action));
  }

  private record Event(long at, long seq, Runnable action) implements Comparable<Event> {
    @Override
    public int compareTo(Event o) {
      return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
    }

    void run() {
      action.run();
    }
  }

  // ------------------------------------------------------------------ events

  private final class Tick implements Runnable {
    final int member;
    final int incarnation;

    Tick(int member, int incarnation) {
      this.member = member;
      this.incarnation = incarnation;
    }

    @Override
    public void run() {
      Member m = members[member];
      if (m.down || m.incarnation != incarnation) {
        return;
      }
      Role roleBefore = m.core.role();
      long termBefore = m.core.term();
      m.core.tick();
      m.afterInput();
      if (TRACE && (m.core.role() != roleBefore || m.core.term() != termBefore)) {
        System.out.printf("%6d %s    tick: %s%n", now, m.id, m.core);
      }
      schedule(TICK_MS, this);
    }
  }

  private final class Deliver implements Runnable {
    final Message msg;
    final int to;
    final int toIncarnation;

    Deliver(Message msg, int to, int toIncarnation) {
      this.msg = msg;
      this.to = to;
      this.toIncarnation = toIncarnation;
    }

    @Override
    public void run() {
      Member m = members[to];
      if (m.down || m.incarnation != toIncarnation) {
        return;
      }
      if (TRACE) {
        System.out.printf("%6d %s <- %s  [%s]%n", now, m.id, msg, m.core);
      }
      m.core.step(msg);
      m.afterInput();
      if (TRACE) {
        System.out.printf("%6d %s    now %s%n", now, m.id, m.core);
      }
    }
  }

  private final class Durable implements Runnable {
    final int member;
    final int incarnation;

    Durable(int member, int incarnation) {
      this.member = member;
      this.incarnation = incarnation;
    }

    @Override
    public void run() {
      Member m = members[member];
      if (m.down || m.incarnation != incarnation) {
        return;
      }
      m.completeOneWrite();
    }
  }

  /** Changes the faults every so often while chaos is on. */
  private final class Chaos implements Runnable {
    @Override
    public void run() {
      if (!chaosOn) {
        return;
      }
      int what = rnd.nextInt(10);
      switch (what) {
        case 0, 1 -> { // new partition of any shape
          int groups = 1 + rnd.nextInt(3);
          for (int i = 0; i < n; i++) {
            group[i] = rnd.nextInt(groups);
          }
        }
        case 2 -> Arrays.fill(group, 0);
        case 3 -> { // crash one
          Member m = members[rnd.nextInt(n)];
          if (!m.down && downCount() < n / 2 + 1) {
            m.crash();
          }
        }
        case 4 -> { // crash the leader, or anyone, and reboot it soon: lost unsynced writes matter here
          Member m = leader();
          if (m == null || rnd.nextBoolean()) {
            m = members[rnd.nextInt(n)];
          }
          if (!m.down) {
            Member victim = m;
            victim.crash();
            schedule(rnd.nextInt(60), () -> {
              if (victim.down) {
                victim.boot();
                schedule(rnd.nextInt((int) TICK_MS), new Tick(victim.index, victim.incarnation));
              }
            });
          }
        }
        case 5, 6 -> { // restart one
          for (Member m : members) {
            if (m.down && rnd.nextBoolean()) {
              m.boot();
              schedule(rnd.nextInt((int) TICK_MS), new Tick(m.index, m.incarnation));
              break;
            }
          }
        }
        default -> {
          dropRate = rnd.nextInt(4) * 0.1;
          duplicateRate = rnd.nextInt(3) * 0.05;
          maxDelayMs = rnd.nextInt(4) == 0 ? 200 : 1 + rnd.nextInt(30);
          maxDiskDelayMs = rnd.nextInt(3) == 0 ? 30 : 3;
          if (membershipChanges && membershipRnd.nextInt(4) == 0) {
            maxDiskDelayMs = 150; // a write that outlasts heartbeats: later turns' messages must wait for it
          }
        }
      }
      schedule(20 + rnd.nextInt(300), this);
    }
  }

  /** Proposes commands to whoever claims to lead (and now and then to someone who does not). */
  private final class Client implements Runnable {
    int counter;

    @Override
    public void run() {
      int batch = now < clientsStopAt || maxCommitted <= committedAtHeal ? 1 + rnd.nextInt(4)
          : rnd.nextInt(6) == 0 ? 1 : 0;
      for (int b = 0; b < batch; b++) {
        Member target = leader();
        if (target == null || rnd.nextInt(10) == 0) {
          target = members[rnd.nextInt(n)];
        }
        if (target.down) {
          continue;
        }
        byte[] cmd = ("c" + (counter++)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (target.core.propose(List.of(cmd)) > 0) {
          proposalsAccepted++;
        }
        target.afterInput();
      }
      Member current = leader();
      if (membershipChanges && current != null && now < clientsStopAt && membershipRnd.nextInt(25) == 0) {
        Set<String> voters = new HashSet<>();
        Set<String> learners = new HashSet<>();
        for (String id : ids) {
          int r = membershipRnd.nextInt(10);
          if (r < 6) {
            voters.add(id);
          } else if (r < 8) {
            learners.add(id);
          }
        }
        if (voters.isEmpty() || membershipRnd.nextInt(4) == 0) {
          // now and then a voter alone, with learners: it wins its elections without asking anyone
          String alone = ids.get(membershipRnd.nextInt(n));
          voters.clear();
          voters.add(alone);
          learners.remove(alone);
        }
        try {
          if (current.core.proposeMembership(Membership.of(voters, learners), true) > 0) {
            membershipChangesStarted++;
          }
        } catch (IllegalStateException underWay) {
          // one change at a time
        }
        current.afterInput();
      }
      if (current != null && !current.down && current.core.role() == Role.LEADER && rnd.nextInt(40) == 0) {
        // hand leadership to another member (it may be cut off, down, or behind)
        if (current.core.transferLeadership(ids.get(rnd.nextInt(n)))) {
          transfersStarted++;
        }
        current.afterInput();
      }
      if (rnd.nextInt(3) == 0) {
        // a read asked of a member that believes it leads: the newest leader, or a stale one cut off
        List<Member> claimants = new ArrayList<>();
        for (Member m : members) {
          if (!m.down && m.core.role() == Role.LEADER) {
            claimants.add(m);
          }
        }
        if (!claimants.isEmpty()) {
          Member m = claimants.get(rnd.nextInt(claimants.size()));
          long readId = ++readIds;
          if (m.core.requestRead(readId)) {
            readsAsked.put(readId, maxCommitted);
          }
          m.afterInput();
        }
      }
      if (followerReadRnd != null && followerReadRnd.nextInt(3) == 0) {
        // a read asked of any member up: followers ask their leader for the read point
        List<Member> up = new ArrayList<>();
        for (Member m : members) {
          if (!m.down) {
            up.add(m);
          }
        }
        if (!up.isEmpty()) {
          Member m = up.get(followerReadRnd.nextInt(up.size()));
          long readId = ++readIds;
          if (m.core.requestRead(readId)) {
            readsAsked.put(readId, maxCommitted);
            followerReadsAsked++;
          }
          m.afterInput();
        }
      }
      if (quietRnd != null && quietRnd.nextInt(15) == 0) {
        schedule(300 + quietRnd.nextInt(700), this); // a pause long enough for the group to go quiet
      } else {
        schedule(1 + rnd.nextInt(30), this);
      }
    }
  }

  /**
   * The hosts' liveness checks, as an oracle: a quiet follower that cannot reach the leader it
   * follows (another side of a partition, or the leader down) for an election timeout is woken.
   */
  private final class Liveness implements Runnable {
    @Override
    public void run() {
      long downAfter = TICK_MS * options.electionTicks();
      for (Member m : members) {
        String leaderId = m.down ? null : m.core.leaderId();
        int l = leaderId == null ? -1 : ids.indexOf(leaderId);
        boolean cut = m.core.quiet() && l >= 0 && l != m.index && (members[l].down || group[l] != group[m.index]);
        if (!cut) {
          cutOffSince[m.index] = -1;
        } else if (cutOffSince[m.index] < 0) {
          cutOffSince[m.index] = now;
        } else if (now - cutOffSince[m.index] >= downAfter) {
          cutOffSince[m.index] = -1;
          m.core.wake();
          wokenByLiveness++;
          m.afterInput();
        }
      }
      schedule(TICK_MS * options.heartbeatTicks(), this);
    }
  }

  /** How many times members went quiet (summed over their current incarnations). */
  long timesQuiet() {
    long t = 0;
    for (Member m : members) {
      t += m.timesQuietBefore + (m.core == null ? 0 : m.core.timesQuiet());
    }
    return t;
  }

  long wokenByLiveness() {
    return wokenByLiveness;
  }

  private Member leader() {
    Member best = null;
    for (Member m : members) {
      if (!m.down && m.core.role() == Role.LEADER && (best == null || m.core.term() > best.core.term())) {
        best = m;
      }
    }
    return best;
  }

  private int downCount() {
    int d = 0;
    for (Member m : members) {
      if (m.down) {
        d++;
      }
    }
    return d;
  }

  // ------------------------------------------------------------------ members

  private final class Member {
    final int index;
    final String id;
    MemoryLogStore store = new MemoryLogStore();
    RaftCore core;
    int incarnation;
    boolean down;
    final ArrayDeque<PendingWrite> writes = new ArrayDeque<>();
    long appliedIndex;
    long stateHash;
    long lastCommit;
    Role lastRole;
    long lastTerm;
    int appliedSinceSnapshot;
    final int snapshotEvery;
    long timesQuietBefore;

    Member(int index) {
      this.index = index;
      this.id = ids.get(index);
      this.snapshotEvery = 5 + rnd.nextInt(20);
    }

    void boot() {
      down = false;
      incarnation++;
      writes.clear();
      timesQuietBefore += core == null ? 0 : core.timesQuiet();
      core = new RaftCore(id, initialVoters, options, new Random(rnd.nextLong()), store.load());
      core.readEntriesBackThrough(store.entryReader());
      appliedIndex = 0;
      stateHash = 0;
      lastCommit = core.commitIndex();
      lastRole = core.role();
      lastTerm = core.term();
      appliedSinceSnapshot = 0;
      apply();
    }

    void crash() {
      down = true;
      // its pending reads die with it (a real node fails them at close)
      writes.clear(); // never durable: lost
    }

    /** After every input: handle the ready, apply, snapshot, check. */
    void afterInput() {
      handleReady(core.ready());
      apply();
      check(this);
    }

    /** Follows the Ready contract: messages now; the write to the disk, its messages once durable. */
    void handleReady(Ready rd) {
      reads(rd);
      for (Message m : rd.messages()) {
        send(m);
      }
      if (!rd.write().isEmpty()) {
        writes.addLast(new PendingWrite(rd.write(), rd.messagesAfterWrite()));
        schedule(rnd.nextInt(maxDiskDelayMs), new Durable(index, incarnation));
      }
    }

    void completeOneWrite() {
      PendingWrite pw = writes.pollFirst();
      if (pw == null) {
        return;
      }
      store.write(pw.write);
      for (Message m : pw.after) {
        send(m);
      }
      core.persisted(pw.write.seq());
      apply();
      check(this);
      handleReady(core.ready()); // held messages released, a leader's commit may move
    }

    /** Checks the reads the core answered: a confirmed read point covers what was committed before. */
    void reads(Ready rd) {
      // no store here loses an acknowledged write, so a leader seeing a follower lose one is wrong
      for (Outcome.FollowerLostEntries f : rd.outcomes(Outcome.FollowerLostEntries.class)) {
        throw violation(id + " (term " + core.term() + ") reports that " + f.follower() + " lost acknowledged entries "
            + "up to " + f.acknowledged() + " (log ends at or differs from " + f.followerLast() + ") but no store loses "
            + "acknowledged writes here");
      }
      behindLeaderReports += rd.outcomes(Outcome.LogBehindLeader.class).size();
      for (Outcome.ReadConfirmed r : rd.outcomes(Outcome.ReadConfirmed.class)) {
        Long committedBefore = readsAsked.remove(r.id());
        if (committedBefore == null) {
          throw violation(id + " confirmed read " + r.id() + " that was not pending");
        }
        if (r.index() < committedBefore) {
          throw violation("linearizable read: " + id + " (term " + core.term() + ") confirmed read " + r.id()
              + " at index " + r.index() + " but " + committedBefore + " was committed before it was asked");
        }
        readsConfirmed++;
      }
      for (Outcome.ReadFailed f : rd.outcomes(Outcome.ReadFailed.class)) {
        long readId = f.id();
        if (readsAsked.remove(readId) == null) {
          throw violation(id + " failed read " + readId + " that was not pending");
        }
        readsFailed++;
      }
    }

    void apply() {
      for (ApplyEvent ev : core.takeApply(Integer.MAX_VALUE)) {
        if (ev instanceof ApplyEvent.SnapshotInstalled s) {
          if (s.index() < appliedIndex) {
            throw violation(id + " installed snapshot " + s.index() + " behind applied " + appliedIndex);
          }
          ByteBuffer b = ByteBuffer.wrap(s.data());
          long idx = b.getLong();
          long hash = b.getLong();
          if (idx != s.index()) {
            throw violation(id + " snapshot at " + s.index() + " holds state of index " + idx);
          }
          while (b.hasRemaining()) {
            if (b.remaining() < 16 || b.getLong() != idx || b.getLong() != hash) {
              throw violation(id + " snapshot at " + s.index() + " arrived damaged (" + s.data().length + " bytes)");
            }
          }
          agreeState(idx, hash, "snapshot");
          if (idx > appliedIndex) {
            snapshotsInstalled++;
          }
          appliedIndex = idx;
          stateHash = hash;
        } else if (ev instanceof ApplyEvent.Entry e) {
          if (e.index() != appliedIndex + 1) {
            throw violation(id + " applied " + e.index() + " after " + appliedIndex);
          }
          byte[] prev = appliedCommandAt.putIfAbsent(e.index(), e.command());
          if (prev != null && !Arrays.equals(prev, e.command())) {
            throw violation("state machine safety: two commands applied at index " + e.index());
          }
          appliedIndex = e.index();
          stateHash = stateHash * 31 + Arrays.hashCode(e.command()) + e.index();
          agreeState(appliedIndex, stateHash, "entry");
          if (++appliedSinceSnapshot >= snapshotEvery) {
            appliedSinceSnapshot = 0;
            ByteBuffer data = ByteBuffer.allocate(16 + snapshotPadding);
            while (data.hasRemaining()) {
              data.putLong(appliedIndex).putLong(stateHash);
            }
            core.snapshotTaken(appliedIndex, data.array());
          }
        }
      }
    }

    private void agreeState(long idx, long hash, String how) {
      Long prev = stateHashAt.putIfAbsent(idx, hash);
      if (prev != null && prev != hash) {
        throw violation(id + " state at index " + idx + " (" + how + ") differs from another member's");
      }
    }

    void send(Message m) {
      if (m instanceof InstallSnapshot s && !(s.offset() == 0 && s.last())) {
        snapshotChunksSent++;
      }
      if (m instanceof dev.raftflow.engine.message.AppendEntries || m instanceof InstallSnapshot) {
        // election safety as the others see it: one sender of a leader's messages per term
        String prev = leaderOfTerm.putIfAbsent(m.term(), m.from());
        if (prev != null && !prev.equals(m.from())) {
          throw violation("two leaders in term " + m.term() + ": " + prev + " and " + m.from() + " (sent " + m + ")");
        }
      }
      int to = ids.indexOf(m.to());
      if (group[index] != group[to] || rnd.nextDouble() < dropRate) {
        return;
      }
      int copies = rnd.nextDouble() < duplicateRate ? 2 : 1;
      for (int c = 0; c < copies; c++) {
        schedule(rnd.nextInt((int) maxDelayMs + 1), new Deliver(m, to, members[to].incarnation));
      }
    }
  }

  private record PendingWrite(LogWrite write, List<Message> after) {}

  // ------------------------------------------------------------------ checks

  private void check(Member m) {
    RaftCore c = m.core;
    if (c.role() != m.lastRole && c.role() != Role.FOLLOWER && !c.membership().isVoter(m.id)
        && c.membershipIndex() <= c.commitIndex()) {
      throw violation(m.id + " became " + c.role() + " in term " + c.term() + " without being a voter of "
          + c.membership() + ", committed");
    }
    // election safety, for leaders whose term is durable: a voter alone in its configuration wins
    // at once, and if it crashes before its term is written it was never leader for anyone (it has
    // sent nothing) and may vote for another in that term after its restart
    if (c.role() == Role.LEADER) {
      String prev = m.store.hardState().term() == c.term() ? leaderOfTerm.putIfAbsent(c.term(), m.id) : null;
      if (prev != null && !prev.equals(m.id)) {
        throw violation("two leaders in term " + c.term() + ": " + prev + " and " + m.id);
      }
      if (m.lastRole != Role.LEADER || m.lastTerm != c.term()) {
        // leader completeness: a new leader holds every entry committed in an earlier term (a
        // candidate of an older term may still win on a late vote after a newer term committed
        // entries; it can commit nothing, and it does not need them)
        long committedBefore = 0;
        for (long i = c.firstIndex(); i <= maxCommitted; i++) {
          LogEntry e = committed.get(i);
          Long in = committedInTerm.get(i);
          if (e == null || in == null || in >= c.term()) {
            continue;
          }
          committedBefore = i;
          if (c.termAt(i) != e.term()) {
            throw violation("leader completeness: " + m.id + " leads term " + c.term() + " without entry " + i + "@"
                + e.term() + ", committed in term " + in);
          }
        }
        if (c.lastIndex() < committedBefore) {
          throw violation("leader completeness: " + m.id + " leads term " + c.term() + " with last index "
              + c.lastIndex() + " < " + committedBefore + ", committed before");
        }
      }
    }
    // commit never goes back within one incarnation; committed entries are recorded and must agree
    if (c.commitIndex() < m.lastCommit) {
      throw violation(m.id + " commit index went back from " + m.lastCommit + " to " + c.commitIndex());
    }
    for (long i = Math.max(m.lastCommit + 1, c.firstIndex()); i <= c.commitIndex(); i++) {
      LogEntry e = c.entryAt(i);
      LogEntry prev = committed.putIfAbsent(i, e);
      committedInTerm.putIfAbsent(i, c.term());
      if (prev != null && (prev.term() != e.term() || !Arrays.equals(prev.data(), e.data()))) {
        throw violation("committed entry " + i + " differs: " + prev + " vs " + e + " on " + m.id);
      }
      maxCommitted = Math.max(maxCommitted, i);
    }
    m.lastCommit = c.commitIndex();
    m.lastRole = c.role();
    m.lastTerm = c.term();
    // log matching against every other live member
    for (Member o : members) {
      if (o == m || o.down) {
        continue;
      }
      checkLogMatching(m, o);
    }
  }

  private void checkLogMatching(Member a, Member b) {
    RaftCore x = a.core;
    RaftCore y = b.core;
    long lo = Math.max(x.firstIndex(), y.firstIndex());
    long hi = Math.min(x.lastIndex(), y.lastIndex());
    long match = -1;
    for (long i = hi; i >= lo; i--) {
      if (x.termAt(i) == y.termAt(i)) {
        match = i;
        break;
      }
    }
    for (long i = match; i >= lo; i--) {
      LogEntry ex = x.entryAt(i);
      LogEntry ey = y.entryAt(i);
      if (ex.term() != ey.term() || !Arrays.equals(ex.data(), ey.data())) {
        throw violation("log matching: " + a.id + " and " + b.id + " agree at " + match + " but differ at " + i);
      }
    }
  }

  private Violation violation(String what) {
    return new Violation("seed=" + seed + " t=" + now + "ms: " + what);
  }

  private String describe() {
    StringBuilder sb = new StringBuilder();
    for (Member m : members) {
      sb.append(m.down ? m.id + "{down}" : m.core.toString()).append(' ');
      if (!m.down && membershipChanges) {
        sb.append(m.core.membership()).append('@').append(m.core.membershipIndex()).append(' ');
      }
      if (!m.down && m.core.role() == Role.LEADER) {
        sb.append(m.core.progressSummary()).append(' ');
      }
    }
    return sb.toString();
  }
}

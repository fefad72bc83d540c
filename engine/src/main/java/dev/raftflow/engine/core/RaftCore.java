package dev.raftflow.engine.core;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.Membership;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.AppendResponse;
import dev.raftflow.engine.message.EntryType;
import dev.raftflow.engine.message.InstallSnapshot;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.message.SnapshotResponse;
import dev.raftflow.engine.message.TimeoutNow;
import dev.raftflow.engine.message.VoteResponse;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * The Raft state machine of one member, pure and deterministic: no threads, locks, clock or I/O.
 * It holds Figure 2's state and the leader's per-follower {@link Progress}, takes one input at a time
 * ({@link #tick()}, {@link #step(Message)}, {@link #propose(List)}, {@link #persisted(long, long)},
 * {@link #snapshotTaken(long, byte[])}) and accumulates what must happen next, which the driver
 * collects with {@link #ready()} and {@link #takeApply(int)}.
 *
 * <p>Randomness (election timeouts) comes only from the injected {@link Random}, so a run is a
 * function of its inputs and seed.
 *
 * <p>Not thread-safe: one driver thread at a time (the node's event loop, or a simulation).
 */
public final class RaftCore {

  private final String id;
  private final RaftOptions options;
  private final Random random;

  // persistent state (Figure 2), written through ready()
  private long term;
  private String votedFor;
  private final RaftLog log;
  private Snapshot snapshot;

  // membership (thesis ch. 4): a configuration is in force from the moment its entry is appended
  /** The members given at construction: the configuration until the log or a snapshot says otherwise. */
  private final Membership bootstrap;
  /** The configuration as of the snapshot (the bootstrap one when none is recorded). */
  private Membership snapshotMembership;
  /** CONFIG entries held in the log past the snapshot, by index. */
  private final TreeMap<Long, Membership> configEntries = new TreeMap<>();
  /** The configuration in force: the latest CONFIG entry's, else the snapshot's. */
  private Membership membership;
  /** Index of the entry that set {@link #membership} (the snapshot's index, or 0, when none). */
  private long membershipIndex;

  // volatile state
  private Role role = Role.FOLLOWER;
  private String leaderId;
  private long commitIndex;
  private long appliedIndex;
  private long durableIndex;
  private int electionElapsed;
  private int heartbeatElapsed;
  private int quorumCheckElapsed;
  private int electionTimeout;
  /** Real votes for this member in {@link #term} (as a candidate). */
  private final Set<String> votes = new HashSet<>();
  /**
   * Pre-vote grants for {@code term + 1}. Kept apart from {@link #votes}: a candidate whose election
   * timed out pre-campaigns for the next term while real votes for its current term may still
   * arrive, and the two must never be counted together.
   */
  private final Set<String> preVotes = new HashSet<>();
  /** A pre-vote round is under way (role stays FOLLOWER or CANDIDATE; term unchanged). */
  private boolean preCampaigning;
  private final Map<String, Progress> progress = new LinkedHashMap<>();
  /** Leader: the progress of each voter other than this one (incoming, outgoing), for commits. */
  private Progress[] incomingVoters = new Progress[0];
  private Progress[] outgoingVoters = new Progress[0];
  // counters for metrics (this node's loop reads them after each turn)
  private long electionsStarted;
  private long leadershipsWon;
  private long snapshotChunksSent;
  private long snapshotsInstalled;

  /** The snapshot being received in chunks (follower), or null. Volatile: a restart starts over. */
  private SnapshotReception reception;

  // linearizable reads (ReadIndex, Raft thesis 6.4), leader only
  /** Read rounds started so far; never reset, so an answer from an earlier term cannot count. */
  private long readRound;
  /** Whether reads arrived since the last ready(): their round's heartbeats are still to be sent. */
  private boolean readRoundUnsent;
  /** Index of the first entry of this leadership (its no-op): no read may be served before it. */
  private long leaderStartIndex;
  private final ArrayDeque<PendingRead> pendingReads = new ArrayDeque<>();
  private List<Ready.ReadState> readsConfirmed = new ArrayList<>();
  private List<Long> readsFailed = new ArrayList<>();

  private record PendingRead(long id, long index, long round) {}

  // leadership transfer (thesis 3.10), leader only
  /** The member leadership is being handed to, or null; proposals are refused meanwhile. */
  private String leadTransferee;
  private int transferElapsed;

  // outputs collected until the next ready()
  private List<Message> messages = new ArrayList<>();
  private List<Message> messagesAfterWrite = new ArrayList<>();
  private boolean hardStateDirty;
  private Snapshot snapshotToWrite;
  private long writeFrom = Long.MAX_VALUE;
  private Snapshot snapshotToApply;

  /**
   * @param id this member's id
   * @param members the voting members the group started with. They are the configuration until the
   *     log or a snapshot records another. A member that joins a running group is started with the
   *     group's current voters, which need not include it: until a configuration names it a voter,
   *     it never campaigns.
   * @param restored what the log store recovered
   */
  public RaftCore(String id, List<String> members, RaftOptions options, Random random, PersistentState restored) {
    this.id = id;
    this.bootstrap = Membership.ofVoters(members);
    this.options = options;
    this.random = random;
    this.term = restored.hardState().term();
    this.votedFor = restored.hardState().votedFor();
    this.snapshot = restored.snapshot();
    this.log = new RaftLog(snapshot, restored.entries());
    this.commitIndex = log.baseIndex();
    this.appliedIndex = log.baseIndex();
    this.durableIndex = log.lastIndex();
    this.snapshotToApply = snapshot;
    this.snapshotMembership = snapshot != null && snapshot.membership() != null ? snapshot.membership() : bootstrap;
    for (LogEntry e : restored.entries()) {
      if (e.type() == EntryType.CONFIG && e.index() > log.baseIndex()) {
        configEntries.put(e.index(), Membership.decode(e.data()));
      }
    }
    membershipChanged();
    resetElectionTimer();
  }

  // ------------------------------------------------------------------ inputs

  /** One tick of the logical clock: drives heartbeats and election timeouts. */
  public void tick() {
    if (role == Role.LEADER) {
      if (leadTransferee != null && ++transferElapsed >= options.electionTicks()) {
        leadTransferee = null; // the target did not take over in time: lead on
      }
      if (options.checkQuorum() && ++quorumCheckElapsed >= options.electionTicks()) {
        quorumCheckElapsed = 0;
        if (!heardFromQuorum()) {
          becomeFollower(term, null); // cut off from a majority: stop accepting proposals
          return;
        }
      }
      if (++heartbeatElapsed >= options.heartbeatTicks()) {
        heartbeatElapsed = 0;
        heartbeat();
      }
    } else if (++electionElapsed >= electionTimeout && mayCampaign()) {
      if (options.preVote()) {
        preCampaign();
      } else {
        campaign();
      }
    }
  }

  /**
   * Handles one message addressed to this member. The caller has checked that it comes from a
   * member and is addressed here.
   */
  public void step(Message m) {
    if (m instanceof RequestVote v && v.preVote()) {
      handlePreVote(v); // changes neither term nor vote
      return;
    }
    if (m instanceof VoteResponse v && v.preVote()) {
      if (v.term() > term && !v.granted()) {
        becomeFollower(v.term(), null); // the voter is ahead of us
      } else {
        handlePreVoteResponse(v);
      }
      return;
    }
    if (m instanceof RequestVote v && v.term() > term && !v.transfer() && inLeaderLease()) {
      return; // a leader is heard from: this candidate is cut off from it or removed (thesis §4.2.3)
    }
    if (m.term() > term) {
      boolean fromLeader = m instanceof AppendEntries || m instanceof InstallSnapshot;
      becomeFollower(m.term(), fromLeader ? m.from() : null);
    } else if (m.term() < term) {
      rejectStale(m);
      return;
    }
    if (m instanceof RequestVote v) {
      handleRequestVote(v);
    } else if (m instanceof VoteResponse v) {
      handleVoteResponse(v);
    } else if (m instanceof AppendEntries a) {
      handleAppendEntries(a);
    } else if (m instanceof AppendResponse r) {
      handleAppendResponse(r);
    } else if (m instanceof InstallSnapshot s) {
      handleInstallSnapshot(s);
    } else if (m instanceof SnapshotResponse s) {
      handleSnapshotResponse(s);
    } else if (m instanceof TimeoutNow t) {
      if (role != Role.LEADER && mayCampaign()) {
        campaign(true); // the leader hands over: no timeout, no pre-vote
      }
    }
  }

  /**
   * Appends commands as a leader. Returns the index of the first one (the others follow
   * consecutively, all in {@link #term()}), or -1 when this member is not the leader or is handing
   * leadership over.
   */
  public long propose(List<byte[]> commands) {
    if (role != Role.LEADER || leadTransferee != null) {
      return -1;
    }
    long first = log.lastIndex() + 1;
    for (byte[] c : commands) {
      appendLocal(LogEntry.command(log.lastIndex() + 1, term, c));
    }
    return first;
  }

  /**
   * Asks for a linearizable read point (ReadIndex): the leader notes {@code max(commitIndex, first
   * index of its term)}, then confirms with a round of heartbeats that a majority still follows it.
   * The outcome comes through {@link #ready()}: a {@link Ready.ReadState} once confirmed (in request
   * order), or the id in {@code readsFailed} if leadership is lost first. The service may answer
   * the read once it has applied the read's index. Returns false (nothing pending) when this member
   * is not the leader.
   */
  public boolean requestRead(long id) {
    if (role != Role.LEADER) {
      return false;
    }
    if (log.lastTerm() != term) {
      // without leaderNoop, nothing of this term may be coming: the read point can only commit
      // behind an entry of this term, so add the no-op the thesis prescribes
      appendLocal(LogEntry.noop(log.lastIndex() + 1, term));
    }
    if (!readRoundUnsent) {
      readRound++;
      readRoundUnsent = true;
    }
    pendingReads.addLast(new PendingRead(id, Math.max(commitIndex, leaderStartIndex), readRound));
    confirmReads(); // a single-member group confirms alone
    return true;
  }

  /**
   * Starts handing leadership to {@code target}: proposals are refused from now on, the target's
   * log is brought up to date, then it is told to start an election at once ({@link TimeoutNow}).
   * Gives up after {@link RaftOptions#electionTicks()} ticks (proposals resume). Returns false when
   * this member is not the leader or {@code target} is not another member.
   */
  public boolean transferLeadership(String target) {
    Progress pr = role == Role.LEADER ? progress.get(target) : null;
    if (pr == null || !membership.isVoter(target)) {
      return false;
    }
    leadTransferee = target;
    transferElapsed = 0;
    maybeSendTimeoutNow(pr);
    return true;
  }

  /** Stops a leadership transfer under way, if any: proposals are taken again. */
  public void cancelTransfer() {
    leadTransferee = null;
  }

  /**
   * Starts changing the group's membership to {@code target} as leader. A change of voters appends
   * a joint configuration (old and new voters both decide) and, once that is committed, the leader
   * appends {@code target} itself; a change of learners only appends {@code target}. Each takes
   * effect when appended. Returns the index of the entry appended, or -1 when this member is not
   * the leader or is handing leadership over. A leader that is not among the target's voters leads
   * until the target is committed, then steps down.
   *
   * @throws IllegalStateException when a change is still under way (its entries not all committed)
   * @throws IllegalArgumentException when {@code target} is joint
   */
  public long proposeMembership(Membership target) {
    if (target.isJoint()) {
      throw new IllegalArgumentException("a target membership cannot be joint: " + target);
    }
    if (role != Role.LEADER || leadTransferee != null) {
      return -1;
    }
    if (membership.isJoint() || membershipIndex > commitIndex) {
      throw new IllegalStateException("a membership change is under way: " + membership + " at index "
          + membershipIndex + ", commit index " + commitIndex);
    }
    LogEntry e = LogEntry.config(log.lastIndex() + 1, term, membership.transitionTo(target));
    appendLocal(e);
    return e.index();
  }

  /** The configuration in force (it may not be committed yet). */
  public Membership membership() {
    return membership;
  }

  /** Index of the entry that set the configuration in force (0 when it is the bootstrap one). */
  public long membershipIndex() {
    return membershipIndex;
  }

  /** The latest configuration whose entry is committed. */
  public Membership committedMembership() {
    var e = configEntries.floorEntry(commitIndex);
    return e != null ? e.getValue() : snapshotMembership;
  }

  /**
   * Whether {@code peer} is a member of any configuration this member holds or started with:
   * messages from anyone else are not from the group.
   */
  public boolean knows(String peer) {
    if (membership.contains(peer) || bootstrap.contains(peer) || snapshotMembership.contains(peer)) {
      return true;
    }
    for (Membership m : configEntries.values()) {
      if (m.contains(peer)) {
        return true;
      }
    }
    return false;
  }

  /** The member leadership is being handed to, or null. */
  public String leadTransferee() {
    return leadTransferee;
  }

  /** The store made the log durable up to {@code index}, whose entry had {@code entryTerm}. */
  public void persisted(long index, long entryTerm) {
    if (index > durableIndex && index <= log.lastIndex() && log.termAt(index) == entryTerm) {
      durableIndex = index;
      if (role == Role.LEADER) {
        maybeCommit();
      }
    }
  }

  /**
   * The service took a snapshot covering entries up to {@code index}. Entries up to it are
   * discarded. Returns false (and changes nothing) when {@code index} is not past the current
   * snapshot.
   *
   * @throws IllegalArgumentException when {@code index} is beyond what was handed to the service
   */
  public boolean snapshotTaken(long index, byte[] data) {
    if (index <= snapshotIndex()) {
      return false;
    }
    if (index > appliedIndex) {
      throw new IllegalArgumentException(
          "snapshot index " + index + " is beyond the applied index " + appliedIndex);
    }
    snapshotMembership = membershipAt(index);
    configEntries.headMap(index, true).clear();
    snapshot = new Snapshot(index, log.termAt(index), snapshotMembership, data);
    membershipChanged(); // same configuration; its entry may now be the snapshot
    snapshotToWrite = snapshot;
    for (Progress pr : progress.values()) {
      if (pr.catchingUp) {
        if (pr.match < pr.catchUpMark) {
          pr.catchingUp = false; // not past the previous snapshot yet: not gaining, send it this one
        } else {
          pr.catchUpMark = index; // gaining: it has until the next snapshot to get past this one
        }
      }
    }
    compactLog();
    return true;
  }

  /**
   * Drops the entries held in memory up to the snapshot, except, on a leader, those behind it that
   * a follower receiving a snapshot or catching up from one still needs: without them that
   * follower would need the next snapshot, and one whose transfers take longer than the service
   * takes to snapshot again would never catch up. At most snapshotCatchUpEntries are kept so, and
   * only for a follower that gets past each snapshot before the next one is taken: one that does
   * not gain on the leader from the log is better served by the next snapshot.
   */
  private void compactLog() {
    if (snapshot == null) {
      return;
    }
    long to = snapshot.index();
    if (role == Role.LEADER && options.snapshotCatchUpEntries() > 0) {
      long floor = to;
      for (Progress pr : progress.values()) {
        long needs;
        if (pr.state == Progress.State.SNAPSHOT) {
          // a transfer stalled for two election timeouts (a follower down?) holds nothing back
          needs = snapshotStalled(pr) ? Long.MAX_VALUE : pr.pendingSnapshot;
        } else if (pr.catchingUp) {
          needs = pr.match;
        } else {
          continue;
        }
        if (needs < log.baseIndex() || to - needs > options.snapshotCatchUpEntries()) {
          pr.catchingUp = false; // already past help, or too far behind: the next snapshot it is
          continue;
        }
        floor = Math.min(floor, needs);
      }
      to = floor;
    }
    if (to > log.baseIndex()) {
      log.compactTo(to, log.termAt(to));
    }
  }

  // ------------------------------------------------------------------ outputs

  /** Collects what must be sent and written since the last call. */
  public Ready ready() {
    if (role == Role.LEADER) {
      for (Progress pr : progress.values()) {
        sendAppends(pr);
        if (readRoundUnsent && pr.readRoundSent < readRound && pr.state != Progress.State.SNAPSHOT) {
          sendAppend(pr, true); // no append carried the new read round: a heartbeat does
        }
      }
    }
    readRoundUnsent = false;
    HardState hs = hardStateDirty ? new HardState(term, votedFor) : null;
    List<LogEntry> entries = List.of();
    if (writeFrom != Long.MAX_VALUE) {
      entries = log.suffix(Math.max(writeFrom, log.firstIndex()));
    }
    LogWrite write = new LogWrite(hs, snapshotToWrite, entries, log.lastIndex(), log.lastTerm());
    if (hs != null && !messages.isEmpty()) {
      // nothing goes out under a term or vote that is not durable yet: a voter alone in its
      // configuration wins without asking anyone, and if it crashed before the write, it could vote
      // for another in the same term after its restart, while its own appends were already out
      messagesAfterWrite.addAll(0, messages);
      messages = new ArrayList<>();
    }
    Ready r = new Ready(messages, write, messagesAfterWrite,
        readsConfirmed.isEmpty() ? List.of() : readsConfirmed, readsFailed.isEmpty() ? List.of() : readsFailed);
    if (!readsConfirmed.isEmpty()) {
      readsConfirmed = new ArrayList<>();
    }
    if (!readsFailed.isEmpty()) {
      readsFailed = new ArrayList<>();
    }
    messages = new ArrayList<>();
    messagesAfterWrite = new ArrayList<>();
    hardStateDirty = false;
    snapshotToWrite = null;
    writeFrom = Long.MAX_VALUE;
    return r;
  }

  /** Whether {@link #takeApply} has something to hand out. */
  public boolean hasApply() {
    return snapshotToApply != null || appliedIndex < commitIndex;
  }

  /**
   * Hands out, in log order, at most {@code max} committed entries (a pending snapshot first) and
   * counts them as applied.
   */
  public List<ApplyEvent> takeApply(int max) {
    List<ApplyEvent> out = new ArrayList<>(Math.min(max, 64));
    if (snapshotToApply != null && max > 0) {
      Snapshot s = snapshotToApply;
      snapshotToApply = null;
      if (s.index() >= appliedIndex) {
        out.add(new ApplyEvent.SnapshotInstalled(s.index(), s.term(), s.data()));
        appliedIndex = s.index();
      }
    }
    appliedIndex = Math.max(appliedIndex, log.baseIndex());
    while (appliedIndex < commitIndex && out.size() < max) {
      LogEntry e = log.entry(++appliedIndex);
      out.add(new ApplyEvent.Entry(e.index(), e.term(), e.data(), e.type() != dev.raftflow.engine.message.EntryType.COMMAND));
    }
    return out;
  }

  // ------------------------------------------------------------------ state

  public String id() {
    return id;
  }

  public long term() {
    return term;
  }

  public Role role() {
    return role;
  }

  public String leaderId() {
    return leaderId;
  }

  public String votedFor() {
    return votedFor;
  }

  public long commitIndex() {
    return commitIndex;
  }

  public long appliedIndex() {
    return appliedIndex;
  }

  public long lastIndex() {
    return log.lastIndex();
  }

  public long lastTerm() {
    return log.lastTerm();
  }

  public long durableIndex() {
    return durableIndex;
  }

  /** Elections this member started as a candidate. */
  public long electionsStarted() {
    return electionsStarted;
  }

  /** Elections it won. */
  public long leadershipsWon() {
    return leadershipsWon;
  }

  /** InstallSnapshot chunks sent as leader. */
  public long snapshotChunksSent() {
    return snapshotChunksSent;
  }

  /** Snapshots installed from a leader. */
  public long snapshotsInstalled() {
    return snapshotsInstalled;
  }

  /** Index of the latest snapshot (0 when none). */
  public long snapshotIndex() {
    return snapshot == null ? 0 : snapshot.index();
  }

  /**
   * The first entry still held in memory: just past the latest snapshot, or earlier on a leader
   * that keeps entries for a follower catching up from a snapshot.
   */
  public long firstIndex() {
    return log.firstIndex();
  }

  /** Term of the entry at {@code index}, or -1 when it is not held. For checks and tests. */
  public long termAt(long index) {
    return log.termAt(index);
  }

  /** The entry at {@code index}; it must lie in (snapshotIndex, lastIndex]. For checks and tests. */
  public LogEntry entryAt(long index) {
    return log.entry(index);
  }

  /** Leader only: the progress of each follower, for diagnostics. */
  public String progressSummary() {
    return progress.values().toString();
  }

  // ------------------------------------------------------------------ roles

  private void resetElectionTimer() {
    electionElapsed = 0;
    electionTimeout = options.electionTicks() + random.nextInt(options.electionTicks());
  }

  private void becomeFollower(long newTerm, String leader) {
    for (PendingRead r : pendingReads) {
      readsFailed.add(r.id());
    }
    pendingReads.clear();
    readRoundUnsent = false;
    if (newTerm > term) {
      term = newTerm;
      votedFor = null;
      hardStateDirty = true;
      reception = null; // a transfer of an earlier term will not go on
    }
    role = Role.FOLLOWER;
    leaderId = leader;
    leadTransferee = null;
    progress.clear();
    compactLog();
    votes.clear();
    preVotes.clear();
    preCampaigning = false;
    resetElectionTimer();
  }

  /** Asks whether a majority would elect us in the next term, without raising our term. */
  private void preCampaign() {
    preCampaigning = true;
    leaderId = null;
    preVotes.clear();
    preVotes.add(id);
    resetElectionTimer();
    if (membership.hasQuorum(preVotes)) {
      campaign();
      return;
    }
    for (String p : votingPeers()) {
      messages.add(new RequestVote(term + 1, id, p, log.lastIndex(), log.lastTerm(), true));
    }
  }

  private void handlePreVote(RequestVote v) {
    boolean leaderAlive = role == Role.LEADER
        || (leaderId != null && electionElapsed < options.electionTicks());
    boolean upToDate = v.lastLogTerm() > log.lastTerm()
        || (v.lastLogTerm() == log.lastTerm() && v.lastLogIndex() >= log.lastIndex());
    boolean grant = v.term() > term && upToDate && !leaderAlive;
    messages.add(new VoteResponse(grant ? v.term() : term, id, v.from(), grant, true));
  }

  private void handlePreVoteResponse(VoteResponse v) {
    if (!preCampaigning || !v.granted() || v.term() != term + 1) {
      return;
    }
    preVotes.add(v.from());
    if (membership.hasQuorum(preVotes)) {
      campaign();
    }
  }

  private void campaign() {
    campaign(false);
  }

  /** Stands for election in the next term; {@code transfer} when the leader handed over to us. */
  private void campaign(boolean transfer) {
    preCampaigning = false;
    electionsStarted++;
    term++;
    votedFor = id;
    hardStateDirty = true;
    reception = null;
    role = Role.CANDIDATE;
    leaderId = null;
    progress.clear();
    compactLog();
    votes.clear();
    votes.add(id);
    resetElectionTimer();
    if (membership.hasQuorum(votes)) {
      becomeLeader();
      return;
    }
    for (String p : votingPeers()) {
      messagesAfterWrite.add(new RequestVote(term, id, p, log.lastIndex(), log.lastTerm(), false, transfer));
    }
  }

  /**
   * With CheckQuorum on, whether this member leads, or heard from a leader within the last election
   * timeout: a vote request of a newer term is then ignored (term and vote unchanged), so a member
   * that cannot hear the leader, or that was removed without learning it, cannot depose a leader a
   * majority still follows. Only with CheckQuorum, since a leader that lost its majority must step
   * down for the lease to end; a candidate the leader handed over to is answered anyway.
   */
  private boolean inLeaderLease() {
    return options.checkQuorum()
        && (role == Role.LEADER || (leaderId != null && electionElapsed < options.electionTicks()));
  }

  /** Whether a majority (this leader included) answered since the last check; resets the marks. */
  private boolean heardFromQuorum() {
    Set<String> active = new HashSet<>();
    active.add(id);
    for (Progress pr : progress.values()) {
      if (pr.recentActive) {
        active.add(pr.id);
      }
      pr.recentActive = false;
    }
    return membership.hasQuorum(active);
  }

  private void becomeLeader() {
    leadershipsWon++;
    role = Role.LEADER;
    leaderId = id;
    leadTransferee = null;
    heartbeatElapsed = 0;
    quorumCheckElapsed = 0;
    votes.clear();
    progress.clear();
    syncProgress();
    if (options.leaderNoop()) {
      appendLocal(LogEntry.noop(log.lastIndex() + 1, term));
    }
    leaderStartIndex = log.lastIndex();
    maybeCommit(); // a single-member group commits alone
  }

  private void appendLocal(LogEntry e) {
    log.append(e);
    markWrite(e.index());
    if (e.type() == EntryType.CONFIG) {
      configEntries.put(e.index(), Membership.decode(e.data()));
      membershipChanged();
    }
  }

  // ------------------------------------------------------------------ membership

  /** Recomputes the configuration in force after CONFIG entries were appended, removed or compacted. */
  private void membershipChanged() {
    var last = configEntries.lastEntry();
    membership = last != null ? last.getValue() : snapshotMembership;
    membershipIndex = last != null ? last.getKey() : (snapshot != null ? snapshot.index() : 0);
    if (role == Role.LEADER) {
      syncProgress();
      if (leadTransferee != null && !membership.isVoter(leadTransferee)) {
        leadTransferee = null;
      }
    }
  }

  /**
   * Whether this member may stand for election: as a voter of the configuration in force, or, while
   * that configuration is not known to be committed, as a voter of the one before it. Until the
   * new configuration commits, a member it removes may be the only one holding it (thesis §4.2.2):
   * it must be able to lead long enough to commit it, then it steps down.
   */
  public boolean mayCampaign() {
    return membership.isVoter(id) || (membershipIndex > commitIndex && previousMembership().isVoter(id));
  }

  /** The configuration before the one in force (the one in force when it is the snapshot's). */
  private Membership previousMembership() {
    var before = configEntries.lowerEntry(membershipIndex);
    return before != null ? before.getValue() : snapshotMembership;
  }

  /** The configuration a snapshot records; one written before memberships were kept: the bootstrap one. */
  private Membership membershipOf(Snapshot s) {
    return s.membership() != null ? s.membership() : bootstrap;
  }

  /** The configuration in force at {@code index} (at or after the snapshot). */
  private Membership membershipAt(long index) {
    var e = configEntries.floorEntry(index);
    return e != null ? e.getValue() : snapshotMembership;
  }

  /**
   * Leader: one progress per member of the configuration other than this one, and no other. Until
   * the configuration in force is committed, the members of the one before it are kept too: a
   * member being removed then receives the entry that removes it, and knowing itself no voter, never
   * campaigns to disturb the group.
   */
  private void syncProgress() {
    Set<String> members = new HashSet<>(membership.members());
    if (membershipIndex > commitIndex) {
      members.addAll(previousMembership().members());
    }
    progress.keySet().removeIf(p -> !members.contains(p));
    for (String p : members) {
      if (!p.equals(id) && !progress.containsKey(p)) {
        progress.put(p, new Progress(p, log.lastIndex() + 1, options.maxInflightMessages()));
      }
    }
    incomingVoters = progressOf(membership.voters());
    outgoingVoters = progressOf(membership.outgoingVoters());
  }

  private Progress[] progressOf(Set<String> voters) {
    List<Progress> out = new ArrayList<>(voters.size());
    for (String v : voters) {
      if (!v.equals(id)) {
        out.add(progress.get(v));
      }
    }
    return out.toArray(new Progress[0]);
  }

  /** The voters (of both configurations while joint) other than this member. */
  private List<String> votingPeers() {
    List<String> out = new ArrayList<>();
    for (String p : membership.members()) {
      if (!p.equals(id) && membership.isVoter(p)) {
        out.add(p);
      }
    }
    return out;
  }

  /**
   * The highest index durable on a majority of a configuration's voters: {@code others} and, when
   * {@code self}, this leader (its durable index counts as its match).
   */
  private long quorumIndex(Progress[] others, boolean self) {
    long[] matches = new long[others.length + (self ? 1 : 0)];
    for (int i = 0; i < others.length; i++) {
      matches[i] = others[i].match;
    }
    if (self) {
      matches[others.length] = durableIndex;
    }
    Arrays.sort(matches);
    return matches[matches.length - (matches.length / 2 + 1)];
  }

  private void markWrite(long from) {
    writeFrom = Math.min(writeFrom, from);
  }

  // ------------------------------------------------------------------ elections

  private void handleRequestVote(RequestVote v) {
    boolean free = votedFor == null || votedFor.equals(v.from());
    boolean upToDate = v.lastLogTerm() > log.lastTerm()
        || (v.lastLogTerm() == log.lastTerm() && v.lastLogIndex() >= log.lastIndex());
    boolean grant = free && upToDate && role != Role.LEADER;
    if (grant) {
      if (!v.from().equals(votedFor)) {
        votedFor = v.from();
        hardStateDirty = true;
      }
      resetElectionTimer();
    }
    messagesAfterWrite.add(new VoteResponse(term, id, v.from(), grant));
  }

  private void handleVoteResponse(VoteResponse v) {
    if (role != Role.CANDIDATE || !v.granted()) {
      return;
    }
    votes.add(v.from());
    if (membership.hasQuorum(votes)) {
      becomeLeader();
    }
  }

  private void rejectStale(Message m) {
    if (m instanceof AppendEntries a) {
      messagesAfterWrite.add(AppendResponse.rejected(term, id, a.from(), a.prevLogIndex(), 0, 0));
    } else if (m instanceof InstallSnapshot s) {
      messagesAfterWrite.add(SnapshotResponse.refused(term, id, s.from()));
    } else if (m instanceof RequestVote v) {
      messagesAfterWrite.add(new VoteResponse(term, id, v.from(), false));
    }
    // stale responses are dropped
  }

  // ------------------------------------------------------------------ replication (follower)

  private void followLeader(String leader) {
    if (role != Role.FOLLOWER) {
      becomeFollower(term, leader);
    }
    preCampaigning = false;
    leaderId = leader;
    electionElapsed = 0;
  }

  private void handleAppendEntries(AppendEntries a) {
    if (role == Role.LEADER) {
      return; // two leaders in one term cannot happen; never let one overwrite the other
    }
    followLeader(a.from());
    long prev = a.prevLogIndex();
    long prevTerm = a.prevLogTerm();
    List<LogEntry> entries = a.entries();
    if (prev < log.baseIndex()) {
      // entries up to our snapshot are committed, so they match: skip them
      int skip = (int) Math.min(entries.size(), log.baseIndex() - prev);
      entries = entries.subList(skip, entries.size());
      prev = log.baseIndex();
      prevTerm = log.baseTerm();
    }
    if (prev > log.lastIndex()) {
      messagesAfterWrite.add(AppendResponse.rejected(term, id, a.from(), a.prevLogIndex(), 0, log.lastIndex() + 1,
          a.readRound()));
      return;
    }
    long localPrevTerm = log.termAt(prev);
    if (localPrevTerm != prevTerm) {
      long first = log.firstIndexOfTerm(prev, localPrevTerm);
      messagesAfterWrite.add(AppendResponse.rejected(term, id, a.from(), a.prevLogIndex(), localPrevTerm, first,
          a.readRound()));
      return;
    }
    for (LogEntry e : entries) {
      if (e.index() <= log.lastIndex()) {
        if (log.termAt(e.index()) == e.term()) {
          continue; // already held
        }
        if (e.index() <= commitIndex) {
          throw new IllegalStateException(id + ": leader " + a.from() + " conflicts with committed entry "
              + e.index() + " (commit " + commitIndex + ")");
        }
        log.truncateFrom(e.index());
        durableIndex = Math.min(durableIndex, e.index() - 1);
        if (!configEntries.tailMap(e.index(), true).isEmpty()) {
          configEntries.tailMap(e.index(), true).clear(); // a configuration never committed: back to the one before
          membershipChanged();
        }
      }
      appendLocal(e);
    }
    long lastNew = prev + entries.size();
    long newCommit = Math.min(a.leaderCommit(), lastNew);
    if (newCommit > commitIndex) {
      commitIndex = newCommit;
    }
    if (reception != null && reception.index <= commitIndex) {
      reception = null; // caught up from the log: that snapshot is no longer needed
    }
    messagesAfterWrite.add(AppendResponse.accepted(term, id, a.from(), lastNew, a.readRound()));
  }

  private void handleInstallSnapshot(InstallSnapshot s) {
    if (role == Role.LEADER) {
      return;
    }
    followLeader(s.from());
    long index = s.lastIncludedIndex();
    if (index <= commitIndex) {
      // already covered: everything up to our commit index matches the leader
      if (reception != null && reception.index <= commitIndex) {
        reception = null;
      }
      messagesAfterWrite.add(SnapshotResponse.installed(term, id, s.from(), commitIndex));
      return;
    }
    SnapshotReception r = reception;
    if (r == null || !r.matches(s, term)) {
      if (s.offset() != 0) {
        // a chunk of a transfer we do not hold (we restarted, or it is another leader's): start over
        messages.add(SnapshotResponse.received(term, id, s.from(), index, s.seq(), s.offset(), 0));
        return;
      }
      r = reception = new SnapshotReception(s.from(), term, index, s.lastIncludedTerm(), s.totalBytes());
    }
    if (s.offset() == r.received) {
      System.arraycopy(s.data(), 0, r.data, (int) r.received, s.data().length);
      r.received += s.data().length;
    }
    if (r.received < r.data.length || s.offset() + s.data().length != r.received) {
      // a middle chunk taken in, or a duplicate (below what we hold), or one after a missing chunk
      // (above): say how much we hold in order; an empty chunk is the leader's probe
      messages.add(SnapshotResponse.received(term, id, s.from(), index, s.seq(), s.offset(), r.received));
      return;
    }
    reception = null;
    if (log.termAt(index) == s.lastIncludedTerm()) {
      log.compactTo(index, s.lastIncludedTerm());
      configEntries.headMap(index, true).clear();
    } else {
      log.resetTo(index, s.lastIncludedTerm());
      durableIndex = Math.min(durableIndex, index);
      configEntries.clear();
    }
    snapshotMembership = s.membership() != null ? s.membership() : bootstrap;
    snapshot = new Snapshot(index, s.lastIncludedTerm(), snapshotMembership, r.data);
    membershipChanged();
    snapshotToWrite = snapshot;
    snapshotsInstalled++;
    snapshotToApply = snapshot;
    commitIndex = index;
    messagesAfterWrite.add(SnapshotResponse.installed(term, id, s.from(), index));
  }

  /** A snapshot arriving in chunks from one leader in one term, kept until its last chunk. */
  private static final class SnapshotReception {
    final String leader;
    final long term;
    final long index;
    final long snapshotTerm;
    final byte[] data;
    long received;

    SnapshotReception(String leader, long term, long index, long snapshotTerm, long totalBytes) {
      this.leader = leader;
      this.term = term;
      this.index = index;
      this.snapshotTerm = snapshotTerm;
      this.data = new byte[(int) totalBytes];
    }

    boolean matches(InstallSnapshot s, long currentTerm) {
      return s.from().equals(leader) && currentTerm == term && s.lastIncludedIndex() == index
          && s.lastIncludedTerm() == snapshotTerm && s.totalBytes() == data.length;
    }
  }

  // ------------------------------------------------------------------ replication (leader)

  private void heartbeat() {
    if (log.baseIndex() < snapshotIndex()) {
      compactLog(); // entries kept for followers behind the snapshot: drop what they now hold
    }
    for (Progress pr : progress.values()) {
      maybeSendTimeoutNow(pr); // a lost TimeoutNow, or a target caught up by a snapshot
      switch (pr.state) {
        case PROBE -> {
          pr.probeSent = false;
          sendAppends(pr);
        }
        case REPLICATE -> {
          if (pr.next > log.lastIndex() || pr.windowFull()) {
            sendAppend(pr, true);
          } else {
            sendAppends(pr);
          }
        }
        case SNAPSHOT -> {
          pr.ticksSinceSnapshot += options.heartbeatTicks();
          pr.ticksSinceSent += options.heartbeatTicks();
          if (pr.snapshotSending != snapshot && snapshotStalled(pr)) {
            // a follower down: hold the latest snapshot for it instead, so the old one can go; the
            // next probe starts that transfer when it answers
            int sinceSent = pr.ticksSinceSent;
            int sinceAnswer = pr.ticksSinceSnapshot;
            pr.becomeSnapshot(snapshot);
            pr.ticksSinceSnapshot = sinceAnswer;
            pr.ticksSinceSent = sinceSent;
          }
          if (pr.ticksSinceSent >= Math.max(1, options.electionTicks() / 2)) {
            // nothing sent for half an election timeout: an empty chunk at the end of what was sent
            // keeps the follower from campaigning and asks where it stands; the answer brings the
            // leader back to a missing chunk
            sendSnapshotProbe(pr);
          }
        }
      }
    }
  }

  /** Sends what the follower's state allows: one probe, or new entries up to the window. */
  private void sendAppends(Progress pr) {
    switch (pr.state) {
      case PROBE -> {
        if (!pr.probeSent) {
          sendAppend(pr, false);
          pr.probeSent = pr.state == Progress.State.PROBE;
        }
      }
      case REPLICATE -> {
        while (pr.state == Progress.State.REPLICATE && pr.next <= log.lastIndex() && !pr.windowFull()) {
          sendAppend(pr, false);
        }
      }
      case SNAPSHOT -> {}
    }
  }

  /**
   * Sends one AppendEntries from {@code pr.next} (none when {@code empty}), or the snapshot when the
   * entry before {@code next} is compacted away.
   */
  private void sendAppend(Progress pr, boolean empty) {
    long prev = pr.next - 1;
    long prevTerm = log.termAt(prev);
    if (prevTerm < 0) {
      sendSnapshot(pr);
      return;
    }
    List<LogEntry> entries = empty
        ? List.of()
        : log.slice(pr.next, options.maxEntriesPerMessage(), options.maxBytesPerMessage());
    messages.add(new AppendEntries(term, id, pr.id, prev, prevTerm, entries, commitIndex, readRound));
    pr.readRoundSent = readRound;
    if (pr.state == Progress.State.REPLICATE && !entries.isEmpty()) {
      pr.next = prev + entries.size() + 1;
      pr.addInflight(pr.next - 1);
    }
  }

  private void sendSnapshot(Progress pr) {
    pr.becomeSnapshot(snapshot);
    sendSnapshotChunks(pr);
  }

  /**
   * Sends the chunks of the snapshot under way from {@code pr.snapshotNext}, each of at most
   * snapshotChunkBytes, while fewer than maxInflightMessages chunks' worth of bytes are unanswered.
   * The snapshot sent is the one the transfer started with, even if a newer one was taken since.
   */
  private void sendSnapshotChunks(Progress pr) {
    Snapshot s = pr.snapshotSending;
    byte[] d = s.data();
    long chunk = options.snapshotChunkBytes();
    long window = chunk * options.maxInflightMessages();
    do {
      int from = (int) pr.snapshotNext;
      int to = (int) Math.min(d.length, from + chunk);
      byte[] part = from == 0 && to == d.length ? d : java.util.Arrays.copyOfRange(d, from, to);
      messages.add(new InstallSnapshot(term, id, pr.id, s.index(), s.term(), pr.snapshotSeq++, from, d.length, part,
          membershipOf(s)));
      snapshotChunksSent++;
      pr.ticksSinceSent = 0;
      pr.snapshotNext = to;
    } while (pr.snapshotNext < d.length && pr.snapshotNext - pr.snapshotAcked < window);
  }

  /**
   * Whether a snapshot transfer looks abandoned (the follower down): no answer for two election
   * timeouts before it confirmed any byte, or for ten once it did. Lossy links lose probes too, so
   * a transfer under way gets the longer grace before it is given up.
   */
  private boolean snapshotStalled(Progress pr) {
    return pr.ticksSinceSnapshot >= (pr.snapshotAcked == 0 ? 2 : 10) * options.electionTicks();
  }

  /** An empty chunk at the end of what was sent: the answer says how much the follower holds. */
  private void sendSnapshotProbe(Progress pr) {
    Snapshot s = pr.snapshotSending;
    pr.ticksSinceSent = 0;
    messages.add(new InstallSnapshot(term, id, pr.id, s.index(), s.term(), pr.snapshotSeq++, pr.snapshotNext,
        s.data().length, new byte[0], membershipOf(s)));
  }

  private void handleAppendResponse(AppendResponse r) {
    Progress pr = role == Role.LEADER ? progress.get(r.from()) : null;
    if (pr == null) {
      return;
    }
    pr.recentActive = true;
    if (r.readRound() > pr.readRoundAcked && r.readRound() <= readRound) {
      pr.readRoundAcked = r.readRound(); // it follows us in this term (step() dropped other terms)
      confirmReads();
    }
    if (r.success()) {
      if (r.matchIndex() > log.lastIndex()) {
        return; // cannot match what we never had: a confused peer; ignore
      }
      if (r.matchIndex() > pr.match) {
        pr.match = r.matchIndex();
        maybeSendTimeoutNow(pr);
      }
      switch (pr.state) {
        case PROBE -> pr.becomeReplicate();
        case REPLICATE -> {
          pr.freeInflightTo(r.matchIndex());
          pr.next = Math.max(pr.next, pr.match + 1);
        }
        case SNAPSHOT -> {
          if (pr.match >= pr.pendingSnapshot) {
            pr.becomeReplicate();
          }
        }
      }
      maybeCommit();
      return;
    }
    switch (pr.state) {
      case REPLICATE -> {
        if (r.rejectedIndex() <= pr.match) {
          return; // stale
        }
        pr.next = nextAfterRejection(pr, r);
        pr.becomeProbe();
      }
      case PROBE -> {
        if (r.rejectedIndex() != pr.next - 1) {
          return; // answer to an older probe
        }
        pr.next = nextAfterRejection(pr, r);
        pr.probeSent = false;
      }
      case SNAPSHOT -> {}
    }
  }

  /** The fast backtracking of the lab: skip a whole conflicting term, or to the follower's end. */
  private long nextAfterRejection(Progress pr, AppendResponse r) {
    long next = r.conflictIndex();
    if (r.conflictTerm() > 0) {
      long last = log.lastIndexOfTerm(r.conflictTerm(), r.rejectedIndex());
      if (last > 0) {
        next = last + 1;
      }
    }
    next = Math.min(next, r.rejectedIndex());
    return Math.max(Math.max(next, pr.match + 1), 1);
  }

  private void handleSnapshotResponse(SnapshotResponse r) {
    Progress pr = role == Role.LEADER ? progress.get(r.from()) : null;
    if (pr == null || (r.matchIndex() == 0 && !r.partial())) {
      return;
    }
    pr.recentActive = true;
    if (r.partial()) {
      if (pr.state != Progress.State.SNAPSHOT || r.snapshotIndex() != pr.pendingSnapshot
          || r.nextOffset() > pr.snapshotSending.data().length || r.seq() <= pr.snapshotAnswered) {
        return; // about another transfer, confused, or overtaken by the answer to a later chunk
      }
      pr.snapshotAnswered = r.seq();
      boolean startOver = r.nextOffset() == 0 && r.offset() > 0; // the follower holds nothing of it
      pr.ticksSinceSnapshot = 0; // it answers: a slow transfer is not a stalled one
      if (r.nextOffset() > pr.snapshotAcked || startOver) {
        pr.snapshotAcked = r.nextOffset();
      }
      if (r.nextOffset() < r.offset() && r.seq() >= pr.snapshotRewindSeq) {
        if (startOver && pr.snapshotSending != snapshot) {
          sendSnapshot(pr); // it holds nothing: send the latest snapshot instead
          return;
        }
        // a chunk went missing (or the follower restarted): go back to it, once; answers to chunks
        // sent before this point would only ask for the same again. What it holds is what it says.
        pr.snapshotAcked = Math.min(pr.snapshotAcked, r.nextOffset());
        pr.snapshotNext = r.nextOffset();
        pr.snapshotRewindSeq = pr.snapshotSeq;
      }
      pr.snapshotNext = Math.max(pr.snapshotNext, pr.snapshotAcked);
      if (pr.snapshotNext < pr.snapshotSending.data().length
          && pr.snapshotNext - pr.snapshotAcked < (long) options.snapshotChunkBytes() * options.maxInflightMessages()) {
        sendSnapshotChunks(pr);
      }
      return;
    }
    if (r.matchIndex() <= log.lastIndex() && r.matchIndex() > pr.match) {
      pr.match = r.matchIndex();
      maybeSendTimeoutNow(pr);
    }
    if (pr.state == Progress.State.SNAPSHOT && pr.match >= pr.pendingSnapshot) {
      // (an older snapshot reported as already held does not end the transfer under way)
      pr.next = pr.match + 1;
      pr.becomeProbe();
      pr.catchingUp = true; // keep the entries after its snapshot while it gains on the leader
      pr.catchUpMark = snapshotIndex();
    }
    maybeCommit();
  }

  /** Confirms, in order, the pending reads whose round a majority (this leader included) answered. */
  private void confirmReads() {
    PendingRead r;
    while ((r = pendingReads.peekFirst()) != null) {
      Set<String> acks = new HashSet<>();
      acks.add(id);
      for (Progress pr : progress.values()) {
        if (pr.readRoundAcked >= r.round()) {
          acks.add(pr.id);
        }
      }
      if (!membership.hasQuorum(acks)) {
        return;
      }
      pendingReads.pollFirst();
      readsConfirmed.add(new Ready.ReadState(r.id(), r.index()));
    }
  }

  /** Tells the transfer target to campaign once its log matches ours (again at each heartbeat). */
  private void maybeSendTimeoutNow(Progress pr) {
    if (leadTransferee != null && pr.id.equals(leadTransferee) && pr.match == log.lastIndex()) {
      messages.add(new TimeoutNow(term, id, pr.id));
    }
  }

  /**
   * Commits the highest index durable on a majority (of both configurations while joint), if it is
   * of the current term (Figure 8). Then, once the configuration in force is committed: leaves a
   * joint configuration, or steps down if this leader is no longer a voter.
   */
  private void maybeCommit() {
    long n = quorumIndex(incomingVoters, membership.voters().contains(id));
    if (membership.isJoint()) {
      n = Math.min(n, quorumIndex(outgoingVoters, membership.outgoingVoters().contains(id)));
    }
    if (n > commitIndex && log.termAt(n) == term) {
      boolean configCommits = commitIndex < membershipIndex && membershipIndex <= n;
      commitIndex = n;
      if (configCommits && role == Role.LEADER) {
        syncProgress(); // stop replicating to the members the committed configuration removed
      }
    }
    if (role != Role.LEADER || membershipIndex > commitIndex) {
      return;
    }
    if (membership.isJoint()) {
      appendLocal(LogEntry.config(log.lastIndex() + 1, term, membership.target()));
      maybeCommit(); // a group of one commits alone
    } else if (!membership.isVoter(id)) {
      for (Progress pr : progress.values()) {
        if (pr.state != Progress.State.SNAPSHOT) {
          sendAppend(pr, true); // tell the others the commit index before going
        }
      }
      becomeFollower(term, null);
    }
  }

  @Override
  public String toString() {
    return id + "{" + role + " term=" + term + " vote=" + votedFor + " leader=" + leaderId + " commit=" + commitIndex
        + " applied=" + appliedIndex + " durable=" + durableIndex + " log=(" + log.baseIndex() + "," + log.lastIndex()
        + "] config=" + membership + "@" + membershipIndex + "}";
  }
}

package dev.raftflow.engine.core;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.Membership;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.core.quorum.JointConfig;
import dev.raftflow.engine.core.quorum.VoteResult;
import dev.raftflow.engine.core.tracker.Progress;
import dev.raftflow.engine.core.tracker.ProgressTracker;
import dev.raftflow.engine.core.tracker.VoteTally;
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
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The Raft state machine of one member, pure and deterministic: no threads, locks, clock or I/O.
 * It dispatches one input at a time ({@link #tick()}, {@link #step(Message)}, {@link #propose(List)},
 * {@link #persisted(long, long)}, {@link #snapshotTaken(long, byte[])}, ...) to the step function of
 * its role and to the units that own the rest of its state: the log ({@link RaftLog}), the
 * configurations ({@link ConfigHistory}), the followers' progress ({@link ProgressTracker}), the
 * sending to them ({@link Replicator}), reads ({@link ReadIndexQueue}), leadership transfer ({@link
 * LeadershipTransfer}) and snapshot reception ({@link SnapshotReceiver}). The driver collects what must
 * happen next with {@link #ready()} and {@link #takeApply(int)}.
 *
 * <p>Randomness (election timeouts) comes only from the injected {@link Random}, so a run is a
 * function of its inputs and seed. Not thread-safe: one driver thread at a time.
 */
public final class RaftCore {

  /** Election timeouts after which a write not reported durable is reported as stalled. */
  private static final int WRITE_STALL_TIMEOUTS = 10;

  private final String id;
  private final RaftOptions options;
  private final Random random;

  // persistent state (Figure 2), written through ready()
  private long term;
  private String votedFor;
  private final RaftLog log;
  private Snapshot snapshot;
  private final ConfigHistory configs;

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
  /** The voters deciding now, derived from the configuration in force. */
  private JointConfig voters;
  /** Real votes for this member in {@link #term} (as a candidate). */
  private final VoteTally votes = new VoteTally();
  /**
   * Pre-vote grants for {@code term + 1}. Kept apart from {@link #votes}: a candidate whose election
   * timed out pre-campaigns for the next term while real votes for its current term may still
   * arrive, and the two must never be counted together.
   */
  private final VoteTally preVotes = new VoteTally();
  /** A pre-vote round is under way (role stays FOLLOWER or CANDIDATE; term unchanged). */
  private boolean preCampaigning;
  private final ProgressTracker tracker;
  private final Replicator replicator;
  private final SnapshotReceiver receiver = new SnapshotReceiver();
  private final ReadIndexQueue reads = new ReadIndexQueue();
  private final LeadershipTransfer transfer = new LeadershipTransfer();
  private final Outputs out = new Outputs();
  private final DurabilityGate gate = new DurabilityGate();
  /** The membership change this member leads, until it commits or the leadership is lost. */
  private MembershipChange change;
  private Snapshot snapshotToApply;
  private long messagesRefused;
  private long electionsStarted;
  private long leadershipsWon;
  private long snapshotsInstalled;

  private record MembershipChange(Membership target, long index) {}

  /** A core whose service starts from nothing: a recovered snapshot is handed to it first. */
  public RaftCore(String id, List<String> members, RaftOptions options, Random random, PersistentState restored) {
    this(id, members, options, random, restored, 0);
  }

  /**
   * @param id this member's id
   * @param members the voting members the group started with. They are the configuration until the
   *     log or a snapshot records another. A member that joins a running group is started with the
   *     group's current voters, which need not include it: until a configuration names it a voter,
   *     it never campaigns.
   * @param restored what the log store recovered
   * @param serviceApplied the index the service's own state already reflects (a service whose state
   *     survives restarts); 0 when it starts empty. A recovered snapshot at or below it is not handed
   *     to the service again, and entries are handed from just after it.
   */
  public RaftCore(String id, List<String> members, RaftOptions options, Random random, PersistentState restored,
      long serviceApplied) {
    this.id = id;
    this.options = options;
    this.random = random;
    this.term = restored.hardState().term();
    this.votedFor = restored.hardState().votedFor();
    this.snapshot = restored.snapshot();
    this.log = new RaftLog(snapshot, restored.entries());
    this.configs = new ConfigHistory(Membership.ofVoters(members), snapshot, restored.entries());
    if (serviceApplied < 0 || serviceApplied > Math.max(log.baseIndex(), log.lastIndex())) {
      throw new IllegalArgumentException("the service's applied index " + serviceApplied + " is outside the log (0.."
          + log.lastIndex() + ")");
    }
    this.commitIndex = Math.max(log.baseIndex(), serviceApplied);
    this.appliedIndex = commitIndex;
    this.durableIndex = log.lastIndex();
    this.snapshotToApply = snapshot != null && snapshot.index() > serviceApplied ? snapshot : null;
    this.tracker = new ProgressTracker(id, options.maxInflightMessages(), Long.MAX_VALUE);
    this.replicator = new Replicator(id, options, log, configs, out);
    configChanged();
    resetElectionTimer();
  }

  // ------------------------------------------------------------------ inputs

  /** One tick of the logical clock: drives heartbeats and election timeouts. */
  public void tick() {
    transfer.tick(role == Role.LEADER, options.electionTicks());
    long stalled = gate.tick(WRITE_STALL_TIMEOUTS * options.electionTicks());
    if (stalled > 0) {
      out.report(new Outcome.WriteStalled(stalled, WRITE_STALL_TIMEOUTS * options.electionTicks()));
    }
    if (role == Role.LEADER) {
      if (options.checkQuorum() && ++quorumCheckElapsed >= options.electionTicks()) {
        quorumCheckElapsed = 0;
        if (!tracker.quorumActive()) {
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
        campaign(false);
      }
    }
  }

  /**
   * Handles one message. Refused (returns false, counted in {@link #messagesRefused()}, nothing
   * changes): a message not addressed to this member, one claiming to come from it, and an answer
   * (to a vote, an append or a snapshot) from a member of no configuration it holds or started with.
   * Requests are taken from any sender (Raft thesis §4.1): a leader or candidate added by a
   * configuration this member does not hold yet (it joins, or was cut off meanwhile) may need it to
   * catch up or to vote. Pre-vote and the CheckQuorum lease keep a removed member from disrupting.
   */
  public boolean step(Message m) {
    boolean answer = m instanceof VoteResponse || m instanceof AppendResponse || m instanceof SnapshotResponse;
    if (!id.equals(m.to()) || id.equals(m.from()) || (answer && !configs.knows(m.from()))) {
      messagesRefused++;
      return false;
    }
    dispatch(m);
    return true;
  }

  private void dispatch(Message m) {
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
      return;
    }
    switch (role) {
      case LEADER -> stepLeader(m);
      case CANDIDATE -> stepCandidate(m);
      case FOLLOWER -> stepFollower(m);
    }
  }

  /**
   * Appends commands as a leader. Returns the index of the first one (the others follow
   * consecutively, all in {@link #term()}), or -1 when this member is not the leader or is handing
   * leadership over.
   */
  public long propose(List<byte[]> commands) {
    if (role != Role.LEADER || transfer.isActive()) {
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
   * order), or the id in {@code readsFailed} if leadership is lost first. The service may answer the
   * read once it has applied the read's index. Returns false (nothing pending) when this member is
   * not the leader.
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
    reads.request(id, commitIndex);
    reads.confirm(tracker::quorumAckedRound, out); // a single-member group confirms alone
    return true;
  }

  /**
   * Starts handing leadership to {@code target}: proposals are refused from now on, the target's
   * log is brought up to date, then it is told to start an election at once ({@link TimeoutNow}).
   * Gives up after {@link RaftOptions#electionTicks()} ticks (proposals resume). Returns false when
   * this member is not the leader or {@code target} is not another voter.
   */
  public boolean transferLeadership(String target) {
    Progress pr = role == Role.LEADER ? tracker.get(target) : null;
    if (pr == null || !configs.current().isVoter(target)) {
      return false;
    }
    transfer.start(target, term);
    maybeSendTimeoutNow(pr);
    return true;
  }

  /** Stops a leadership transfer under way, if any, without reporting its outcome: proposals are taken again. */
  public void cancelTransfer() {
    transfer.cancel();
  }

  /**
   * Starts changing the group's membership to {@code target} as leader. A change of voters appends
   * a joint configuration (old and new voters both decide) and, once that is committed, the leader
   * appends {@code target} itself; a change of learners only appends {@code target}. Each takes
   * effect when appended. Returns the index of the entry appended, or -1 when this member is not
   * the leader or is handing leadership over. A leader that is not among the target's voters leads
   * until the target is committed, then steps down. The outcome comes through {@link #ready()}: an
   * {@link Outcome.MembershipCommitted} once {@code target} is committed (at once when it already
   * is), or an {@link Outcome.MembershipUnknown} if the leadership is lost first.
   *
   * @throws IllegalStateException when a change is still under way (its entries not all committed)
   * @throws IllegalArgumentException when {@code target} is joint
   */
  public long proposeMembership(Membership target) {
    if (target.isJoint()) {
      throw new IllegalArgumentException("a target membership cannot be joint: " + target);
    }
    if (role != Role.LEADER || transfer.isActive()) {
      return -1;
    }
    Membership current = configs.current();
    if (change != null || current.isJoint() || configs.isPending(commitIndex)) {
      throw new IllegalStateException("a membership change is under way: " + current + " at index "
          + configs.currentIndex() + ", commit index " + commitIndex);
    }
    if (current.equals(target)) {
      out.report(new Outcome.MembershipCommitted(target, configs.currentIndex())); // nothing to change
      return configs.currentIndex();
    }
    LogEntry e = LogEntry.config(log.lastIndex() + 1, term, current.transitionTo(target));
    change = new MembershipChange(target, e.index());
    appendLocal(e);
    return e.index();
  }

  /**
   * The driver made write {@code seq} of a {@link Ready} durable (and every write before it). The
   * messages that waited for it leave with the next Ready; a leader counts its own durable index.
   *
   * @throws IllegalArgumentException when no write {@code seq} was handed out
   */
  public void persisted(long seq) {
    for (DurabilityGate.Pending p : gate.acknowledge(seq)) {
      if (p.lastIndex() > durableIndex && p.lastIndex() <= log.lastIndex() && log.termAt(p.lastIndex()) == p.lastTerm()) {
        durableIndex = p.lastIndex();
        if (role == Role.LEADER) {
          maybeCommit();
        }
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
    Membership m = configs.compacted(index);
    snapshot = new Snapshot(index, log.termAt(index), m, data);
    configChanged(); // same configuration; its entry may now be the snapshot
    out.writeSnapshot(snapshot);
    for (Progress pr : tracker.all()) {
      pr.snapshotTaken(index);
    }
    compactLog();
    return true;
  }

  /**
   * Drops the entries held in memory up to the snapshot, except, on a leader, those behind it that
   * a follower receiving a snapshot or catching up from one still needs (at most
   * snapshotCatchUpEntries): without them that follower would need the next snapshot, and one whose
   * transfers take longer than the service takes to snapshot again would never catch up.
   */
  private void compactLog() {
    if (snapshot == null) {
      return;
    }
    long to = snapshot.index();
    if (role == Role.LEADER && options.snapshotCatchUpEntries() > 0) {
      long floor = to;
      for (Progress pr : tracker.all()) {
        floor = Math.min(floor, replicator.keepFor(pr, snapshot.index()));
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
      for (Progress pr : tracker.all()) {
        replicator.sendAppends(pr, commitIndex, reads.round(), snapshot);
        if (reads.roundUnsent() && pr.readRoundSent() < reads.round() && pr.state() != Progress.State.SNAPSHOT) {
          replicator.sendAppend(pr, true, commitIndex, reads.round(), snapshot); // a heartbeat carries the new read round
        }
      }
    }
    reads.roundSent();
    transfer.observe(term, role, leaderId, options.electionTicks(), out);
    return out.take(term, votedFor, log, gate);
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
    List<ApplyEvent> events = new ArrayList<>(Math.min(max, 64));
    if (snapshotToApply != null && max > 0) {
      Snapshot s = snapshotToApply;
      snapshotToApply = null;
      if (s.index() >= appliedIndex) {
        events.add(new ApplyEvent.SnapshotInstalled(s.index(), s.term(), s.data()));
        appliedIndex = s.index();
      }
    }
    appliedIndex = Math.max(appliedIndex, log.baseIndex());
    while (appliedIndex < commitIndex && events.size() < max) {
      LogEntry e = log.entry(++appliedIndex);
      events.add(new ApplyEvent.Entry(e.index(), e.term(), e.data(), e.type() != EntryType.COMMAND));
    }
    return events;
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

  /** The configuration in force (it may not be committed yet). */
  public Membership membership() {
    return configs.current();
  }

  /** Index of the entry that set the configuration in force (0 when it is the bootstrap one). */
  public long membershipIndex() {
    return configs.currentIndex();
  }

  /** The latest configuration whose entry is committed. */
  public Membership committedMembership() {
    return configs.at(commitIndex);
  }

  /**
   * Whether {@code peer} is a member of any configuration this member holds or started with:
   * messages from anyone else are not from the group.
   */
  public boolean knows(String peer) {
    return configs.knows(peer);
  }

  /** Whether this member may stand for election now (see {@link ConfigHistory#mayCampaign}). */
  public boolean mayCampaign() {
    return configs.mayCampaign(id, commitIndex);
  }

  /** The member leadership is being handed to, or null. */
  public String leadTransferee() {
    return transfer.target();
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
    return replicator.chunksSent();
  }

  /** Messages {@link #step} refused. */
  public long messagesRefused() {
    return messagesRefused;
  }

  /** The seq of the latest write handed out in a Ready (0 when none). */
  public long lastWriteSeq() {
    return gate.lastSeq();
  }

  /** The oldest write handed out and not yet reported durable (its seq), or 0. */
  public long oldestUnpersistedWrite() {
    return gate.oldestPending();
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

  /** The entry at {@code index}; it must lie in [firstIndex, lastIndex]. For checks and tests. */
  public LogEntry entryAt(long index) {
    return log.entry(index);
  }

  /** Leader only: the progress of each follower, for diagnostics. */
  public String progressSummary() {
    return tracker.toString();
  }

  // ------------------------------------------------------------------ roles

  private void resetElectionTimer() {
    electionElapsed = 0;
    electionTimeout = options.electionTicks() + random.nextInt(options.electionTicks());
  }

  /** Everything a member resets when it stops leading or campaigning (and when its term changes). */
  private void reset(long newTerm) {
    reads.failAll(out);
    if (change != null) {
      out.report(new Outcome.MembershipUnknown(change.target(), term));
      change = null;
    }
    if (newTerm > term) {
      term = newTerm;
      votedFor = null;
      out.hardStateChanged();
      receiver.reset(); // a transfer of an earlier term will not go on
    }
    transfer.stop();
    tracker.clear();
    votes.clear();
    preVotes.clear();
    preCampaigning = false;
  }

  private void becomeFollower(long newTerm, String leader) {
    reset(newTerm);
    role = Role.FOLLOWER;
    leaderId = leader;
    compactLog();
    resetElectionTimer();
  }

  /** Asks whether a majority would elect us in the next term, without raising our term. */
  private void preCampaign() {
    preCampaigning = true;
    leaderId = null;
    preVotes.clear();
    preVotes.record(id, true);
    resetElectionTimer();
    if (preVotes.result(voters) == VoteResult.WON) {
      campaign(false);
      return;
    }
    for (String p : votingPeers()) {
      out.send(new RequestVote(term + 1, id, p, log.lastIndex(), log.lastTerm(), true));
    }
  }

  /** Stands for election in the next term; {@code transfer} when the leader handed over to us. */
  private void campaign(boolean transfer) {
    electionsStarted++;
    reset(term + 1);
    votedFor = id;
    role = Role.CANDIDATE;
    leaderId = null;
    compactLog();
    votes.record(id, true);
    resetElectionTimer();
    if (votes.result(voters) == VoteResult.WON) {
      becomeLeader();
      return;
    }
    for (String p : votingPeers()) {
      out.sendAfterWrite(new RequestVote(term, id, p, log.lastIndex(), log.lastTerm(), false, transfer));
    }
  }

  private void becomeLeader() {
    leadershipsWon++;
    role = Role.LEADER;
    leaderId = id;
    transfer.stop();
    preCampaigning = false; // late grants of a pre-vote round begun as a candidate must not make the leader campaign
    preVotes.clear();
    heartbeatElapsed = 0;
    quorumCheckElapsed = 0;
    votes.clear();
    tracker.clear();
    replicator.lead(term);
    syncProgress();
    if (options.leaderNoop()) {
      appendLocal(LogEntry.noop(log.lastIndex() + 1, term));
    }
    reads.leaderStarted(log.lastIndex());
    maybeCommit(); // a single-member group commits alone
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

  private void appendLocal(LogEntry e) {
    log.append(e);
    out.writeEntriesFrom(e.index());
    if (configs.appended(e)) {
      configChanged();
    }
  }

  /** Follows the configuration in force after it changed (appended, rolled back or compacted). */
  private void configChanged() {
    Membership m = configs.current();
    voters = JointConfig.of(m.voters(), m.outgoingVoters());
    if (role == Role.LEADER) {
      syncProgress();
      if (transfer.isActive() && !m.isVoter(transfer.target())) {
        transfer.targetRemoved();
      }
    }
  }

  /**
   * Leader: one progress per member of the configuration other than this one, and no other. Until
   * the configuration in force is committed, the members of the one before it are kept too: a
   * member being removed then receives the entry that removes it, and knowing itself no voter, never
   * campaigns to disturb the group.
   */
  private void syncProgress() {
    Set<String> members = new HashSet<>(configs.current().members());
    if (configs.isPending(commitIndex)) {
      members.addAll(configs.previous().members());
    }
    tracker.sync(voters, members, log.lastIndex() + 1);
  }

  /** The voters (of both configurations while joint) other than this member. */
  private List<String> votingPeers() {
    Membership m = configs.current();
    List<String> peers = new ArrayList<>();
    for (String p : m.members()) {
      if (!p.equals(id) && m.isVoter(p)) {
        peers.add(p);
      }
    }
    return peers;
  }

  // ------------------------------------------------------------------ elections

  private void handlePreVote(RequestVote v) {
    boolean leaderAlive = role == Role.LEADER
        || (leaderId != null && electionElapsed < options.electionTicks());
    boolean grant = v.term() > term && log.isUpToDate(v.lastLogIndex(), v.lastLogTerm()) && !leaderAlive;
    out.send(new VoteResponse(grant ? v.term() : term, id, v.from(), grant, true));
  }

  private void handlePreVoteResponse(VoteResponse v) {
    if (!preCampaigning || v.term() != term + 1) {
      return;
    }
    preVotes.record(v.from(), v.granted());
    if (preVotes.result(voters) == VoteResult.WON) {
      campaign(false);
    }
  }

  private void handleRequestVote(RequestVote v) {
    boolean free = votedFor == null || votedFor.equals(v.from());
    boolean grant = free && log.isUpToDate(v.lastLogIndex(), v.lastLogTerm()) && role != Role.LEADER;
    if (grant) {
      if (!v.from().equals(votedFor)) {
        votedFor = v.from();
        out.hardStateChanged();
      }
      resetElectionTimer();
    }
    out.sendAfterWrite(new VoteResponse(term, id, v.from(), grant));
  }

  private void rejectStale(Message m) {
    if (m instanceof AppendEntries a) {
      out.sendAfterWrite(AppendResponse.rejected(term, id, a.from(), a.prevLogIndex(), 0, 0));
    } else if (m instanceof InstallSnapshot s) {
      out.sendAfterWrite(SnapshotResponse.refused(term, id, s.from()));
    } else if (m instanceof RequestVote v) {
      out.sendAfterWrite(new VoteResponse(term, id, v.from(), false));
    }
    // stale responses are dropped
  }

  // ------------------------------------------------------------------ step functions per role

  private void stepCandidate(Message m) {
    if (m instanceof VoteResponse v) {
      votes.record(v.from(), v.granted());
      if (votes.result(voters) == VoteResult.WON) {
        becomeLeader();
      }
    } else {
      stepFollower(m); // a leader of this term is heard from: follow it
    }
  }

  private void stepFollower(Message m) {
    if (m instanceof AppendEntries a) {
      followLeader(a.from());
      appendFromLeader(a);
    } else if (m instanceof InstallSnapshot s) {
      followLeader(s.from());
      installSnapshot(s);
    } else if (m instanceof TimeoutNow && mayCampaign()) {
      campaign(true); // the leader hands over: no timeout, no pre-vote
    }
  }

  private void followLeader(String leader) {
    if (role != Role.FOLLOWER) {
      becomeFollower(term, leader);
    }
    preCampaigning = false;
    leaderId = leader;
    electionElapsed = 0;
  }

  private void appendFromLeader(AppendEntries a) {
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
      out.sendAfterWrite(AppendResponse.rejected(term, id, a.from(), a.prevLogIndex(), 0, log.lastIndex() + 1,
          a.readRound()));
      return;
    }
    long localPrevTerm = log.termAt(prev);
    if (localPrevTerm != prevTerm) {
      long first = log.firstIndexOfTerm(prev, localPrevTerm);
      out.sendAfterWrite(AppendResponse.rejected(term, id, a.from(), a.prevLogIndex(), localPrevTerm, first,
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
        if (configs.truncatedFrom(e.index())) {
          configChanged();
        }
      }
      appendLocal(e);
    }
    long lastNew = prev + entries.size();
    commitIndex = Math.max(commitIndex, Math.min(a.leaderCommit(), lastNew));
    receiver.caughtUp(commitIndex); // caught up from the log: that snapshot is no longer needed
    out.sendAfterWrite(AppendResponse.accepted(term, id, a.from(), lastNew, a.readRound()));
  }

  private void installSnapshot(InstallSnapshot s) {
    long index = s.lastIncludedIndex();
    if (index <= commitIndex) {
      // already covered: everything up to our commit index matches the leader
      receiver.caughtUp(commitIndex);
      out.sendAfterWrite(SnapshotResponse.installed(term, id, s.from(), commitIndex));
      return;
    }
    SnapshotReceiver.Progress p = receiver.accept(s, term);
    if (p.complete() == null) {
      out.send(SnapshotResponse.received(term, id, s.from(), index, s.seq(), s.offset(), p.held()));
      return;
    }
    boolean logKept = log.termAt(index) == s.lastIncludedTerm();
    if (logKept) {
      log.compactTo(index, s.lastIncludedTerm());
    } else {
      log.resetTo(index, s.lastIncludedTerm());
      durableIndex = Math.min(durableIndex, index);
    }
    Snapshot installed = new Snapshot(index, s.lastIncludedTerm(), s.membership(), p.complete());
    snapshot = new Snapshot(index, s.lastIncludedTerm(), configs.of(installed), p.complete());
    configs.installed(snapshot, logKept);
    configChanged();
    out.writeSnapshot(snapshot);
    snapshotsInstalled++;
    snapshotToApply = snapshot;
    commitIndex = index;
    out.sendAfterWrite(SnapshotResponse.installed(term, id, s.from(), index));
  }

  private void stepLeader(Message m) {
    if (m instanceof AppendResponse r) {
      Progress pr = tracker.get(r.from());
      if (pr == null) {
        return;
      }
      pr.markActive();
      if (pr.ackReadRound(r.readRound(), reads.round())) {
        reads.confirm(tracker::quorumAckedRound, out); // it follows us in this term (step() dropped other terms)
      }
      if (replicator.appendAnswered(pr, r)) {
        maybeSendTimeoutNow(pr);
      }
      if (r.success() && r.matchIndex() <= log.lastIndex()) {
        maybeCommit();
      }
    } else if (m instanceof SnapshotResponse r) {
      Progress pr = tracker.get(r.from());
      if (pr == null || (r.matchIndex() == 0 && !r.partial())) {
        return;
      }
      pr.markActive();
      if (r.partial()) {
        replicator.chunkAnswered(pr, r, snapshot);
        return;
      }
      if (replicator.snapshotHeld(pr, r, snapshotIndex())) {
        maybeSendTimeoutNow(pr);
      }
      maybeCommit();
    }
    // two leaders in one term cannot happen: a leader never takes another's appends
  }

  // ------------------------------------------------------------------ leader

  private void heartbeat() {
    if (log.baseIndex() < snapshotIndex()) {
      compactLog(); // entries kept for followers behind the snapshot: drop what they now hold
    }
    for (Progress pr : tracker.all()) {
      maybeSendTimeoutNow(pr); // a lost TimeoutNow, or a target caught up by a snapshot
      replicator.heartbeat(pr, commitIndex, reads.round(), snapshot);
    }
  }

  /** Tells the transfer target to campaign once its log matches ours (again at each heartbeat). */
  private void maybeSendTimeoutNow(Progress pr) {
    if (pr.id().equals(transfer.target()) && pr.match() == log.lastIndex()) {
      out.send(new TimeoutNow(term, id, pr.id()));
    }
  }

  /**
   * Commits the highest index durable on a majority (of both configurations while joint), if it is
   * of the current term (Figure 8). Then, once the configuration in force is committed: leaves a
   * joint configuration, or steps down if this leader is no longer a voter.
   */
  private void maybeCommit() {
    long n = tracker.committedIndex(durableIndex);
    if (n > commitIndex && n <= log.lastIndex() && log.termAt(n) == term) {
      boolean configCommits = commitIndex < configs.currentIndex() && configs.currentIndex() <= n;
      commitIndex = n;
      if (configCommits && role == Role.LEADER) {
        syncProgress(); // stop replicating to the members the committed configuration removed
      }
      if (change != null && commitIndex >= change.index() && !configs.isPending(commitIndex)
          && configs.current().equals(change.target())) {
        out.report(new Outcome.MembershipCommitted(change.target(), configs.currentIndex()));
        change = null;
      }
    }
    if (role != Role.LEADER || configs.isPending(commitIndex)) {
      return;
    }
    Membership m = configs.current();
    if (m.isJoint()) {
      appendLocal(LogEntry.config(log.lastIndex() + 1, term, m.target()));
      maybeCommit(); // a group of one commits alone
    } else if (!m.isVoter(id)) {
      for (Progress pr : tracker.all()) {
        if (pr.state() != Progress.State.SNAPSHOT) {
          replicator.sendAppend(pr, true, commitIndex, reads.round(), snapshot); // tell the others the commit index before going
        }
      }
      becomeFollower(term, null);
    }
  }

  @Override
  public String toString() {
    return id + "{" + role + " term=" + term + " vote=" + votedFor + " leader=" + leaderId + " commit=" + commitIndex
        + " applied=" + appliedIndex + " durable=" + durableIndex + " log=(" + log.baseIndex() + "," + log.lastIndex()
        + "] config=" + configs.current() + "@" + configs.currentIndex() + "}";
  }
}

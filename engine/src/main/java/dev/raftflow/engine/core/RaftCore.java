package dev.raftflow.engine.core;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.Membership;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.SnapshotData;
import dev.raftflow.engine.core.quorum.VoteResult;
import dev.raftflow.engine.core.tracker.Progress;
import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.AppendResponse;
import dev.raftflow.engine.message.InstallSnapshot;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.Quiesce;
import dev.raftflow.engine.message.ReadIndexRequest;
import dev.raftflow.engine.message.ReadIndexResponse;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.message.SnapshotResponse;
import dev.raftflow.engine.message.TimeoutNow;
import dev.raftflow.engine.message.VoteResponse;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.SnapshotStaging;
import java.util.List;
import java.util.Random;

/**
 * The Raft state machine of one member, pure and deterministic: no threads, locks, clock or I/O.
 * It dispatches one input at a time ({@link #tick()}, {@link #step(Message)}, {@link #propose(List)},
 * {@link #persisted(long)}, ...) to the step function of its role, and keeps the rest of its state in
 * units that own it: the log ({@link MemberLog}), configurations ({@link ConfigHistory}), the election
 * clock ({@link Elections}), what a leader does ({@link Leadership}), leadership transfer, snapshot
 * reception, unsynced writes ({@link DurabilityGate}) and idleness ({@link Quiescence}). The driver
 * collects what must happen next with {@link #ready()} and {@link #takeApply(int)}; the contract is
 * in {@code docs/design.md}. Randomness (election timeouts) comes only from the injected {@link
 * Random}, so a run is a function of its inputs and seed. Not thread-safe: one driver at a time.
 */
public final class RaftCore {

  private final String id;
  private final RaftOptions options;
  private final Outputs out = new Outputs();
  private final DurabilityGate gate = new DurabilityGate();
  private final ConfigHistory configs;
  private final MemberLog log;
  private final Elections elections;
  private final Leadership leadership;
  private final SnapshotReceiver receiver = new SnapshotReceiver();
  private final LeadershipTransfer transfer = new LeadershipTransfer();
  private final BehindLeaderWatch behind = new BehindLeaderWatch();
  private final FollowerReads followerReads = new FollowerReads();
  private final Quiescence quiescence;
  // persistent state (Figure 2) besides the log, written through ready()
  private long term;
  private String votedFor;
  // volatile state
  private Role role = Role.FOLLOWER;
  private String leaderId;
  private long messagesRefused;
  private long snapshotsInstalled;

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
   * @throws IllegalArgumentException when {@code serviceApplied} is outside the recovered log
   */
  public RaftCore(String id, List<String> members, RaftOptions options, Random random, PersistentState restored,
      long serviceApplied) {
    this.id = id;
    this.options = options;
    this.term = restored.hardState().term();
    this.votedFor = restored.hardState().votedFor();
    this.configs = new ConfigHistory(Membership.ofVoters(members), restored.snapshot(), restored.entries());
    this.log = new MemberLog(restored, serviceApplied, configs, out);
    this.leadership = new Leadership(id, options, log, configs, out, transfer);
    this.elections = new Elections(options, random);
    this.quiescence = new Quiescence(options.quiesce(), options.electionTicks());
  }

  /** Reads entries back through {@code reader} once {@link RaftOptions#logEntriesInMemory()} releases them (null: never). */
  public void readEntriesBackThrough(dev.raftflow.engine.spi.EntryReader reader) {
    log.readBackThrough(reader, options.logEntriesInMemory()); // null, or all kept in memory: nothing to do
  }

  // ------------------------------------------------------------------ inputs

  /** One tick of the logical clock: drives heartbeats and election timeouts. */
  public void tick() {
    if (quiescence.quiet()) {
      return;
    }
    elections.clockTicked();
    transfer.tick(role == Role.LEADER, options.electionTicks());
    gate.tick(options.electionTicks(), out); // reports a write the store holds up
    if (role != Role.LEADER) {
      behind.tick();
      followerReads.tick(options.electionTicks(), out);
      if (elections.tick() && mayCampaign()) {
        if (options.preVote()) {
          preCampaign();
        } else {
          campaign(false);
        }
      }
      return;
    }
    if (!leadership.tick()) {
      becomeFollower(term, null); // cut off from a majority: stop accepting proposals
    } else if (quiescence.leaderTicked(!gate.anyPending() && leadership.idle())) {
      leadership.quiesce();
      quiescence.goQuiet();
    }
  }

  /** Wakes a quiet member (a leader heartbeats at the next tick); its host calls it when the leader's host is lost. */
  public void wake() {
    if (quiescence.wake()) {
      if (role == Role.LEADER) {
        leadership.woke();
      } else {
        elections.resetTimer();
      }
    }
  }

  /** Whether this member is quiet: its ticks do nothing until something wakes it. */
  public boolean quiet() {
    return quiescence.quiet();
  }

  /** How many times this member went quiet. */
  public long timesQuiet() {
    return quiescence.times();
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
    if (quiescence.quiet() && !(m instanceof Quiesce) && !(role == Role.LEADER && leadership.isPlainAck(m))) {
      wake();
    }
    if (m instanceof RequestVote v && v.preVote()) {
      boolean upToDate = log.entries().isUpToDate(v.lastLogIndex(), v.lastLogTerm());
      out.send(elections.answerPreVote(v, term, id, upToDate, role == Role.LEADER, leaderId)); // no state changes
    } else if (m instanceof VoteResponse v && v.preVote()) {
      if (v.term() > term && !v.granted()) {
        becomeFollower(v.term(), null); // the voter is ahead of us
      } else if (elections.preCampaigning() && v.term() == term + 1
          && elections.preVote(v.from(), v.granted(), configs.voters()) == VoteResult.WON) {
        campaign(false);
      }
    } else if (m instanceof RequestVote v && v.term() > term && !v.transfer()
        && elections.inLeaderLease(role == Role.LEADER, leaderId)) {
      // a leader is heard from: this candidate is cut off from it or removed (thesis §4.2.3)
    } else if (m.term() < term) {
      out.refuseStale(m, term, id);
    } else {
      if (m.term() > term) {
        boolean fromLeader = m instanceof AppendEntries || m instanceof InstallSnapshot || m instanceof Quiesce;
        // a vote request of a newer term makes us follow that term, but restarts our election
        // timer only if we grant it (Figure 2): a candidate that cannot win must not hold back the
        // members that could; nor does a refusal of our campaign (a stale member that cannot win
        // would otherwise raise the term first every time while we need its vote)
        boolean keepTimer = m instanceof RequestVote ? role == Role.FOLLOWER : m instanceof VoteResponse && role != Role.LEADER;
        becomeFollower(m.term(), fromLeader ? m.from() : null, !keepTimer);
      }
      if (m instanceof RequestVote v) {
        handleRequestVote(v);
      } else if (role == Role.LEADER) {
        stepLeader(m);
      } else if (role == Role.CANDIDATE) {
        stepCandidate(m);
      } else {
        stepFollower(m);
      }
    }
    return true;
  }

  /**
   * Appends commands as a leader. Returns the index of the first one (the others follow, all in
   * {@link #term()}), or -1 when this member is not the leader or is handing leadership over.
   */
  public long propose(List<byte[]> commands) {
    wake();
    return role == Role.LEADER ? leadership.propose(commands) : -1;
  }

  /**
   * Asks for a linearizable read point (ReadIndex): the leader notes {@code max(commitIndex, first
   * index of its term)}, then confirms with a round of heartbeats that a majority still follows it.
   * The outcome comes through {@link #ready()}: an {@link Outcome.ReadConfirmed} (in request order),
   * or an {@link Outcome.ReadFailed} if leadership is lost first. The service may answer the read
   * once it has applied the read's index. Without {@link RaftOptions#leaderNoop()}, a leader with no
   * entry of its term yet appends a no-op for the read point to commit behind (the service sees it
   * as {@link ApplyEvent.Kind#NOOP}). Returns false (nothing pending) when this member is not the
   * leader.
   */
  public boolean requestRead(long id) {
    wake();
    if (role == Role.LEADER) {
      leadership.requestRead(id);
      return true;
    }
    if (options.followerReads() && role == Role.FOLLOWER && leaderId != null) {
      followerReads.ask(id, this.id, leaderId, term, out);
      return true;
    }
    return false;
  }

  /**
   * Starts handing leadership to {@code target}: proposals are refused from now on, the target's
   * log is brought up to date, then it is told to start an election at once ({@link TimeoutNow}).
   * Gives up after {@link RaftOptions#electionTicks()} ticks (proposals resume). The outcome comes
   * through {@link #ready()} as an {@link Outcome.TransferEnded}. Returns false when this member is
   * not the leader or {@code target} is not another voter.
   */
  public boolean transferLeadership(String target) {
    wake();
    return role == Role.LEADER && leadership.transferTo(target);
  }

  /** Stops a leadership transfer under way, if any, without reporting its outcome: proposals are taken again. */
  public void cancelTransfer() {
    transfer.cancel();
  }

  /**
   * Starts changing the group's membership to {@code target} as leader. A change of voters appends
   * a joint configuration (old and new voters both decide) and, once that is committed, the leader
   * appends {@code target} itself; a change of learners only appends {@code target}. Each takes
   * effect when appended. A leader that is not among the target's voters leads until the target is
   * committed, then steps down. Returns the index of the entry appended, or -1 when this member is
   * not the leader or is handing leadership over. The outcome comes through {@link #ready()}: an
   * {@link Outcome.MembershipCommitted} once {@code target} is committed (at once when it already
   * is), or an {@link Outcome.MembershipUnknown} if the leadership is lost first.
   *
   * @throws IllegalStateException when a change is still under way (its entries not all committed),
   *     or (unless {@code force}) when the change would stall the group: a new voter not caught up to
   *     within {@link RaftOptions#promotionLagEntries()}, or new voters without a quorum of members
   *     heard from within an election timeout
   * @throws IllegalArgumentException when {@code target} is joint
   */
  public long proposeMembership(Membership target, boolean force) {
    if (target.isJoint()) {
      throw new IllegalArgumentException("a target membership cannot be joint: " + target);
    }
    wake();
    return role == Role.LEADER && !transfer.isActive() ? leadership.proposeMembership(target, force) : -1;
  }

  /**
   * The driver made write {@code seq} of a {@link Ready} durable (and every write before it). The
   * messages that waited for it leave with the next Ready; a leader counts its own durable index.
   *
   * @throws IllegalArgumentException when no write {@code seq} was handed out
   */
  public void persisted(long seq) {
    for (DurabilityGate.Pending p : gate.acknowledge(seq)) {
      if (log.persisted(p.lastIndex(), p.lastTerm()) && role == Role.LEADER && !leadership.persisted()) {
        becomeFollower(term, null); // a leader that removed itself leaves once the change commits
      }
    }
  }

  /**
   * The service took a snapshot up to {@code index} ({@code data}, in memory or in a file): entries
   * up to it are discarded. Returns false (nothing changes) when {@code index} is not past the last.
   *
   * @throws IllegalArgumentException when {@code index} is beyond what was handed to the service
   */
  public boolean snapshotTaken(long index, SnapshotData data) {
    if (log.snapshotTaken(index, data) == null) {
      return false;
    }
    configChanged(); // same configuration; its entry may now be the snapshot
    leadership.snapshotTaken(index);
    compactLog();
    log.keepCoveredInMemory(); // before ready() hands the snapshot write to the store
    return true;
  }

  /** Stages the snapshots received from leaders in {@code staging} (in memory unless given one). */
  public void stageSnapshotsWith(SnapshotStaging staging) {
    receiver.stageWith(staging);
  }

  /** {@link #snapshotTaken(long, SnapshotData)} of a snapshot held in {@code data}. */
  public boolean snapshotTaken(long index, byte[] data) {
    return snapshotTaken(index, SnapshotData.of(data));
  }

  /** Drops the entries held in memory up to the snapshot (a leader keeps some for followers catching up). */
  private void compactLog() {
    log.compactTo(role == Role.LEADER ? leadership.compactionFloor() : log.snapshotIndex());
  }

  // ------------------------------------------------------------------ outputs

  /** Collects what must be sent and written since the last call (see {@link Ready} for the contract). */
  public Ready ready() {
    if (role == Role.LEADER) {
      leadership.sendPending();
    }
    transfer.observe(term, role, leaderId, options.electionTicks(), out);
    return out.take(term, votedFor, log.entries(), gate);
  }

  /** Whether {@link #takeApply} has something to hand out. */
  public boolean hasApply() {
    return log.hasApply();
  }

  /** Hands out, in log order, at most {@code max} committed entries (a pending snapshot first), counted as applied. */
  public List<ApplyEvent> takeApply(int max) {
    return log.takeApply(max);
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
    return log.commitIndex();
  }

  public long appliedIndex() {
    return log.appliedIndex();
  }

  public long lastIndex() {
    return log.lastIndex();
  }

  public long lastTerm() {
    return log.lastTerm();
  }

  public long durableIndex() {
    return log.durableIndex();
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
    return configs.at(log.commitIndex());
  }

  /** Whether {@code peer} is a member of any configuration this member holds or started with. */
  public boolean knows(String peer) {
    return configs.knows(peer);
  }

  /** Whether this member may stand for election now (see {@link ConfigHistory#mayCampaign}). */
  public boolean mayCampaign() {
    return configs.mayCampaign(id, log.commitIndex());
  }

  /** The member leadership is being handed to, or null. */
  public String leadTransferee() {
    return transfer.target();
  }

  /** Elections this member started as a candidate. */
  public long electionsStarted() {
    return elections.campaigns();
  }

  /** Elections it won. */
  public long leadershipsWon() {
    return leadership.leadershipsWon();
  }

  /** InstallSnapshot chunks sent as leader. */
  public long snapshotChunksSent() {
    return leadership.snapshotChunksSent();
  }

  /** Snapshots installed from a leader. */
  public long snapshotsInstalled() {
    return snapshotsInstalled;
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

  /** Index of the latest snapshot (0 when none). */
  public long snapshotIndex() {
    return log.snapshotIndex();
  }

  /** The first entry held in memory: past the latest snapshot, or earlier on a leader keeping some for a follower. */
  public long firstIndex() {
    return log.entries().firstIndex();
  }

  /** Term of the entry at {@code index}, or -1 when it is not held. For checks and tests. */
  public long termAt(long index) {
    return log.entries().termAt(index);
  }

  /** The entry at {@code index}; it must lie in [firstIndex, lastIndex]. For checks and tests. */
  public LogEntry entryAt(long index) {
    return log.entries().entry(index);
  }

  /** As leader, each follower's (and learner's) {@code id -> [match, inflight]}; else empty. A new map each call. */
  public java.util.Map<String, long[]> followerProgress() {
    return role == Role.LEADER ? leadership.followerProgress() : java.util.Map.of();
  }

  public String progressSummary() {
    return leadership.toString();
  }

  // ------------------------------------------------------------------ roles

  /** Everything a member resets when it stops leading or campaigning, and when its term changes. */
  private void reset(long newTerm) {
    leadership.end();
    if (newTerm > term) {
      term = newTerm;
      votedFor = null;
      out.hardStateChanged();
      receiver.reset(); // a transfer of an earlier term will not go on
    }
    transfer.stop();
    elections.stop();
  }

  private void becomeFollower(long newTerm, String leader) {
    becomeFollower(newTerm, leader, true);
  }

  private void becomeFollower(long newTerm, String leader, boolean resetTimer) {
    followerReads.failAll(out);
    reset(newTerm);
    role = Role.FOLLOWER;
    leaderId = leader;
    compactLog();
    if (resetTimer) {
      elections.resetTimer();
    }
  }

  /** Asks whether a majority would elect us in the next term, without raising our term. */
  private void preCampaign() {
    followerReads.failAll(out);
    leaderId = null;
    elections.startPreCampaign(id);
    if (elections.preVoteResult(configs.voters()) == VoteResult.WON) {
      campaign(false);
      return;
    }
    for (String p : configs.votersOtherThan(id)) {
      out.send(new RequestVote(term + 1, id, p, log.lastIndex(), log.lastTerm(), true));
    }
  }

  /** Stands for election in the next term; {@code transfer} when the leader handed over to us. */
  private void campaign(boolean transfer) {
    followerReads.failAll(out);
    reset(term + 1);
    votedFor = id;
    role = Role.CANDIDATE;
    leaderId = null;
    compactLog();
    elections.startCampaign(id);
    if (elections.voteResult(configs.voters()) == VoteResult.WON) {
      becomeLeader();
      return;
    }
    for (String p : configs.votersOtherThan(id)) {
      out.sendAfterWrite(new RequestVote(term, id, p, log.lastIndex(), log.lastTerm(), false, transfer));
    }
  }

  private void becomeLeader() {
    followerReads.failAll(out);
    role = Role.LEADER;
    leaderId = id;
    transfer.stop();
    elections.stop(); // late grants of a pre-vote round begun as a candidate must not make the leader campaign
    if (!leadership.begin(term)) {
      becomeFollower(term, null);
    }
  }

  /** Follows the configuration in force after it changed (appended, rolled back or compacted). */
  private void configChanged() {
    if (role == Role.LEADER) {
      leadership.configChanged();
    }
  }

  // ------------------------------------------------------------------ votes

  private void handleRequestVote(RequestVote v) {
    boolean free = votedFor == null || votedFor.equals(v.from());
    boolean grant = free && log.entries().isUpToDate(v.lastLogIndex(), v.lastLogTerm()) && role != Role.LEADER;
    if (grant) {
      if (!v.from().equals(votedFor)) {
        votedFor = v.from();
        out.hardStateChanged();
      }
      elections.resetTimer();
    }
    out.sendAfterWrite(new VoteResponse(term, id, v.from(), grant));
  }

  // ------------------------------------------------------------------ step functions per role

  private void stepCandidate(Message m) {
    if (m instanceof VoteResponse v) {
      if (elections.vote(v.from(), v.granted(), configs.voters()) == VoteResult.WON) {
        becomeLeader();
      }
    } else {
      stepFollower(m); // a leader of this term is heard from: follow it
    }
  }

  private void stepFollower(Message m) {
    if (m instanceof AppendEntries a) {
      followLeader(a.from());
      MemberLog.Appended r = log.appendFromLeader(a, id, term);
      if (r.configChanged()) {
        configChanged();
      }
      receiver.caughtUp(log.commitIndex()); // caught up from the log: a snapshot at or below is not needed
      if (behind.answered(a.from(), term, r.response(), options.electionTicks())) {
        out.report(new Outcome.LogBehindLeader(a.from(), a.prevLogIndex(), log.lastIndex(), term));
      }
      out.answerAppend(a, r.response(), log.durableIndex());
    } else if (m instanceof Quiesce q && quiescence.followerMayGoQuiet(q, log, followerReads.isEmpty(), gate)) {
      followLeader(q.from());
      log.appendFromLeader(q.asHeartbeat(), id, term); // commits up to the leader's commit; nothing to answer
      receiver.caughtUp(log.commitIndex());
      quiescence.goQuiet();
    } else if (m instanceof Quiesce q) {
      wake(); // it cannot: it answers as to a heartbeat, which wakes the leader
      stepFollower(q.asHeartbeat());
    } else if (m instanceof InstallSnapshot s) {
      followLeader(s.from());
      if (log.takeChunk(s, receiver, id, term)) {
        configChanged();
        snapshotsInstalled++;
      }
    } else if (m instanceof TimeoutNow && mayCampaign()) {
      campaign(true); // the leader hands over: no timeout, no pre-vote
    } else if (m instanceof ReadIndexRequest r) {
      FollowerReads.refuse(r, term, id, out); // not the leader
    } else if (m instanceof ReadIndexResponse r) {
      followerReads.answered(r, out);
    }
  }

  private void followLeader(String leader) {
    if (role != Role.FOLLOWER) {
      becomeFollower(term, leader);
    }
    leaderId = leader;
    elections.leaderHeard();
  }

  private void stepLeader(Message m) {
    boolean leadOn = true;
    if (m instanceof AppendResponse r) {
      leadOn = leadership.answered(r);
    } else if (m instanceof SnapshotResponse r) {
      leadOn = leadership.answered(r);
    } else if (m instanceof ReadIndexRequest r) {
      leadership.requestRemoteRead(r.from(), r.id()); // a follower's read: answered once a round confirms it
    }
    // two leaders in one term cannot happen: a leader never takes another's appends
    if (!leadOn) {
      becomeFollower(term, null); // a leader that removed itself leaves once the change commits
    }
  }

  @Override
  public String toString() {
    return id + "{" + role + " term=" + term + " vote=" + votedFor + " leader=" + leaderId + " " + log
        + " config=" + configs.current() + "@" + configs.currentIndex() + "}";
  }
}

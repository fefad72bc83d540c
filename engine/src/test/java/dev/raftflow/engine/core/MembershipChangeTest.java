package dev.raftflow.engine.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import dev.raftflow.engine.message.VoteResponse;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Membership changes in the pure core: joint configurations, learners, removal, rollback, snapshots. */
class MembershipChangeTest {

  private static final List<String> ABC = List.of("a", "b", "c");
  private static final RaftOptions OPTS = RaftOptions.builder()
      .heartbeatTicks(1).electionTicks(10).leaderNoop(false).maxInflightMessages(4).preVote(false).build();

  private static RaftCore core(String id, List<String> members, PersistentState ps) {
    return new RaftCore(id, members, OPTS, new Random(1), ps);
  }

  /** Member "a" of {a,b,c}, leader of term 1 on an empty log, its first Ready taken. */
  private static RaftCore leaderA() {
    RaftCore a = core("a", ABC, PersistentState.EMPTY);
    while (a.role() != Role.CANDIDATE) {
      a.tick();
    }
    a.ready();
    a.persisted(a.lastWriteSeq()); // the term and vote are durable
    a.step(new VoteResponse(1, "b", "a", true));
    assertThat(a.role()).isEqualTo(Role.LEADER);
    a.ready();
    return a;
  }

  private static void ack(RaftCore leader, String from, long index) {
    leader.step(AppendResponse.accepted(leader.term(), from, leader.id(), index));
  }

  private static Membership voters(String... ids) {
    return Membership.of(Set.of(ids), Set.of());
  }

  @Test
  void aChangeOfVotersCommitsOnlyWithBothMajoritiesThenTheLeaderLeavesTheJointConfiguration() {
    RaftCore a = leaderA();
    Membership target = voters("a", "b", "c", "d", "e");
    assertThat(a.proposeMembership(target, true)).isEqualTo(1);
    assertThat(a.membership().isJoint()).as("in force once appended").isTrue();
    assertThat(a.membership().outgoingVoters()).containsExactly("a", "b", "c");
    List<Message> sent = a.ready().messages();
    assertThat(sent).as("the new members get the log too").extracting(Message::to).contains("d", "e");
    a.persisted(a.lastWriteSeq());

    ack(a, "d", 1);
    ack(a, "e", 1);
    assertThat(a.commitIndex()).as("3 of 5 new voters, but only 1 of 3 old ones").isZero();
    ack(a, "b", 1);
    assertThat(a.commitIndex()).as("both majorities").isEqualTo(1);
    assertThat(a.lastIndex()).as("the leader appends the target on its own").isEqualTo(2);
    LogEntry leave = a.entryAt(2);
    assertThat(leave.type()).isEqualTo(EntryType.CONFIG);
    assertThat(Membership.decode(leave.data())).isEqualTo(target);
    assertThat(a.membership()).isEqualTo(target);
    assertThat(a.committedMembership().isJoint()).isTrue();

    a.ready();
    a.persisted(a.lastWriteSeq());
    ack(a, "d", 2);
    assertThat(a.commitIndex()).as("2 of 5 is no majority").isEqualTo(1);
    ack(a, "e", 2);
    assertThat(a.commitIndex()).isEqualTo(2);
    assertThat(a.committedMembership()).isEqualTo(target);
    assertThat(a.proposeMembership(voters("a", "b", "c"), true)).as("the next change may start").isEqualTo(3);
  }

  /** Member "a" of {a,b,c} leading with {@code options}, b and c heard, {@code entries} commands committed. */
  private static RaftCore leaderWith(RaftOptions options, int entries) {
    RaftCore a = new RaftCore("a", ABC, options, new Random(1), PersistentState.EMPTY);
    while (a.role() != Role.CANDIDATE) {
      a.tick();
    }
    a.ready();
    a.persisted(a.lastWriteSeq());
    a.step(new VoteResponse(1, "b", "a", true));
    for (int i = 0; i < entries; i++) {
      a.propose(List.of(new byte[] {(byte) i}));
    }
    a.ready();
    a.persisted(a.lastWriteSeq());
    ack(a, "b", entries);
    ack(a, "c", entries);
    return a;
  }

  @Test
  void aNewVoterThatHasNotCaughtUpIsRefusedUnlessForced() {
    RaftCore a = leaderWith(OPTS.toBuilder().promotionLagEntries(2).build(), 5);
    assertThatThrownBy(() -> a.proposeMembership(voters("a", "b", "c", "d"), false))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("new voter d holds the log up to index 0 of 5")
        .hasMessageContaining("add it as a learner first");
    assertThat(a.lastIndex()).as("nothing appended").isEqualTo(5);
    assertThat(a.proposeMembership(Membership.of(Set.of("a", "b", "c"), Set.of("d")), false))
        .as("a learner needs no catching up").isEqualTo(6);
    a.ready();
    a.persisted(a.lastWriteSeq());
    ack(a, "b", 6);
    ack(a, "d", 3);
    assertThat(a.committedMembership().learners()).containsExactly("d");
    assertThatThrownBy(() -> a.proposeMembership(voters("a", "b", "c", "d"), false))
        .hasMessageContaining("promote it once it has caught up");
    ack(a, "d", 4); // within 2 entries of the leader's 6
    assertThat(a.proposeMembership(voters("a", "b", "c", "d"), false)).isEqualTo(7);
  }

  @Test
  void newVotersWithoutAQuorumHeardRecentlyAreRefusedUnlessForced() {
    RaftCore a = leaderWith(OPTS.toBuilder().checkQuorum(false).build(), 3);
    for (int i = 0; i < OPTS.electionTicks(); i++) {
      a.tick(); // c falls silent; b keeps answering
      ack(a, "b", 3);
    }
    a.ready();
    assertThatThrownBy(() -> a.proposeMembership(voters("a", "c", "d"), false))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("not heard: [c, d]");
    assertThat(a.proposeMembership(voters("a", "b", "c"), false)).as("no change: a, b form a quorum")
        .isEqualTo(0);
    assertThat(a.proposeMembership(voters("a", "b"), false)).as("removing silent c keeps a quorum heard").isEqualTo(4);
    RaftCore forced = leaderWith(OPTS, 3);
    assertThat(forced.proposeMembership(voters("a", "d", "e"), true)).as("forced").isEqualTo(4);
  }

  @Test
  void oneChangeAtATimeOnlyOnTheLeaderAndNeverToAJointTarget() {
    RaftCore a = leaderA();
    assertThatThrownBy(() -> a.proposeMembership(new Membership(Set.of("a"), Set.of("b"), Set.of()), true))
        .isInstanceOf(IllegalArgumentException.class);
    a.proposeMembership(Membership.of(Set.of("a", "b", "c"), Set.of("d")), true);
    assertThatThrownBy(() -> a.proposeMembership(voters("a", "b"), true))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("under way");
    RaftCore b = core("b", ABC, PersistentState.EMPTY);
    assertThat(b.proposeMembership(voters("a", "b"), true)).as("not the leader").isEqualTo(-1);
  }

  @Test
  void aLearnerIsReplicatedToButItsAnswersDoNotCommitAndItNeverCampaigns() {
    RaftCore a = leaderA();
    Membership withLearner = Membership.of(Set.of("a", "b", "c"), Set.of("d"));
    assertThat(a.proposeMembership(withLearner, true)).isEqualTo(1);
    assertThat(a.membership()).as("learners alone need no joint step").isEqualTo(withLearner);
    a.ready();
    a.persisted(a.lastWriteSeq());
    ack(a, "b", 1);
    assertThat(a.commitIndex()).isEqualTo(1);
    ack(a, "d", 1); // its probe answered: it replicates from now on
    a.propose(List.of(new byte[] {7}));
    assertThat(a.ready().messages()).extracting(Message::to).contains("d");
    a.persisted(a.lastWriteSeq());
    ack(a, "d", 2);
    assertThat(a.commitIndex()).as("a learner does not count").isEqualTo(1);
    ack(a, "c", 2);
    assertThat(a.commitIndex()).isEqualTo(2);

    RaftCore d = core("d", ABC, PersistentState.EMPTY); // joins: not among the voters it starts with
    d.step(new AppendEntries(1, "a", "d", 0, 0, List.of(a.entryAt(1), a.entryAt(2)), 2));
    assertThat(d.membership()).isEqualTo(withLearner);
    for (int i = 0; i < 100; i++) {
      d.tick();
    }
    assertThat(d.role()).isEqualTo(Role.FOLLOWER);
    assertThat(d.term()).isEqualTo(1);
    List<Message> out = d.ready().messagesAfterWrite();
    assertThat(out).noneMatch(m -> m instanceof RequestVote);
  }

  @Test
  void aLeaderThatRemovesItselfStepsDownOnceTheNewVotersCommitAndThenStaysQuiet() {
    RaftCore a = leaderA();
    a.proposeMembership(voters("b", "c"), true);
    a.ready();
    a.persisted(a.lastWriteSeq());
    ack(a, "b", 1);
    assertThat(a.commitIndex()).as("joint: a and b of the old, b of the new is not 2 of 2").isZero();
    ack(a, "c", 1);
    assertThat(a.commitIndex()).isEqualTo(1);
    assertThat(a.role()).as("leads on until the target commits").isEqualTo(Role.LEADER);
    a.ready();
    a.persisted(a.lastWriteSeq());
    ack(a, "b", 2);
    assertThat(a.role()).as("its own durable entry does not count any more").isEqualTo(Role.LEADER);
    ack(a, "c", 2);
    assertThat(a.commitIndex()).isEqualTo(2);
    assertThat(a.role()).isEqualTo(Role.FOLLOWER);
    assertThat(a.ready().messages()).as("it tells the others the commit index before it goes")
        .filteredOn(m -> m instanceof AppendEntries ae && ae.leaderCommit() == 2).extracting(Message::to)
        .containsExactlyInAnyOrder("b", "c");
    assertThat(a.mayCampaign()).isFalse();
    for (int i = 0; i < 100; i++) {
      a.tick();
    }
    assertThat(a.role()).isEqualTo(Role.FOLLOWER);
    assertThat(a.ready().messagesAfterWrite()).noneMatch(m -> m instanceof RequestVote);
  }

  @Test
  void aMemberRemovedByAConfigurationNotYetCommittedStillCampaignsAndLeadsUntilItCommits() {
    // s2 holds C_new (which leaves it out) and nobody else does: it must be able to get it committed
    Membership joint = new Membership(Set.of("s0"), Set.of("s0", "s1", "s2"), Set.of());
    Membership target = voters("s0");
    List<String> s012 = List.of("s0", "s1", "s2");
    List<LogEntry> log = List.of(LogEntry.config(1, 1, joint), LogEntry.config(2, 1, target));
    RaftCore s2 = core("s2", s012, new PersistentState(new HardState(1, null), null, log));
    assertThat(s2.membership()).isEqualTo(target);
    assertThat(s2.mayCampaign()).as("C_new is not known committed; s2 votes in the joint one").isTrue();
    while (s2.role() != Role.CANDIDATE) {
      s2.tick();
    }
    assertThat(s2.ready().messagesAfterWrite()).extracting(Message::to).as("the voters of C_new").containsExactly("s0");
    s2.step(new VoteResponse(2, "s0", "s2", true));
    assertThat(s2.role()).as("a majority of C_new").isEqualTo(Role.LEADER);
    s2.ready();
    s2.persisted(s2.lastWriteSeq());
    s2.propose(List.of(new byte[] {1})); // an entry of its term, to commit C_new behind
    s2.ready();
    s2.persisted(s2.lastWriteSeq());
    s2.step(AppendResponse.accepted(2, "s0", "s2", 3));
    assertThat(s2.commitIndex()).isEqualTo(3);
    assertThat(s2.role()).as("C_new committed: not a voter, it steps down").isEqualTo(Role.FOLLOWER);
    assertThat(s2.mayCampaign()).isFalse();
  }

  /**
   * Regression (membership simulation seed 13779): a voter alone in its configuration wins at once;
   * its appends to the learners went out before its new term was durable, and after a crash that
   * lost the term it voted for another member in that same term: two leaders' entries in one term.
   */
  @Test
  void aLoneVoterSendsNothingUnderItsNewTermBeforeTheTermIsDurable() {
    Membership alone = Membership.of(Set.of("s3"), Set.of("s0", "s2"));
    RaftCore s3 = core("s3", List.of("s3"), new PersistentState(new HardState(6, null), null,
        List.of(LogEntry.config(1, 6, alone))));
    while (s3.role() != Role.LEADER) {
      s3.tick();
    }
    assertThat(s3.term()).isEqualTo(7);
    Ready r = s3.ready();
    assertThat(r.write().hardState()).isEqualTo(new HardState(7, "s3"));
    assertThat(r.messages()).as("nothing before the term is durable").isEmpty();
    assertThat(r.messagesAfterWrite()).as("the appends to the learners wait for the write")
        .filteredOn(m -> m instanceof AppendEntries).extracting(Message::to).containsExactlyInAnyOrder("s0", "s2");
  }

  @Test
  void withCheckQuorumAMemberThatHearsALeaderIgnoresNewerVoteRequestsUnlessHandedOver() {
    RaftOptions lease = OPTS.toBuilder().checkQuorum(true).build();
    RaftCore b = new RaftCore("b", ABC, lease, new Random(1), PersistentState.EMPTY);
    b.step(new AppendEntries(1, "a", "b", 0, 0, List.of(), 0));
    b.ready();
    b.step(new RequestVote(2, "c", "b", 5, 1)); // c is removed, or cannot hear a
    assertThat(b.term()).as("term unchanged").isEqualTo(1);
    Ready r = b.ready();
    assertThat(r.messages()).isEmpty();
    assertThat(r.messagesAfterWrite()).as("no answer at all").isEmpty();
    b.step(new RequestVote(2, "c", "b", 5, 1, false, true)); // a handed leadership to c
    assertThat(b.ready().messagesAfterWrite()).containsExactly(new VoteResponse(2, "b", "c", true));

    // a learner (it never campaigns itself) that hears nothing for an election timeout
    PersistentState learnerLog = new PersistentState(new HardState(1, null), null,
        List.of(LogEntry.config(1, 1, Membership.of(Set.of("a", "c"), Set.of("b")))));
    RaftCore b2 = new RaftCore("b", ABC, lease, new Random(1), learnerLog);
    b2.step(new AppendEntries(1, "a", "b", 1, 1, List.of(), 0));
    for (int i = 0; i < lease.electionTicks(); i++) {
      b2.tick();
    }
    b2.step(new RequestVote(2, "c", "b", 5, 1));
    assertThat(b2.term()).as("no leader heard for an election timeout: the lease is over").isEqualTo(2);

    RaftCore b3 = new RaftCore("b", ABC, OPTS.toBuilder().checkQuorum(false).build(), new Random(1),
        PersistentState.EMPTY); // CheckQuorum off: no lease
    b3.step(new AppendEntries(1, "a", "b", 0, 0, List.of(), 0));
    b3.step(new RequestVote(2, "c", "b", 5, 1));
    assertThat(b3.term()).isEqualTo(2);
  }

  @Test
  void aSnapshotWrittenBeforeMembershipsWereKeptIsSentWithTheStartingMembers() {
    RaftCore a = core("a", ABC, new PersistentState(new HardState(1, null), new Snapshot(5, 1, new byte[] {1}), List.of()));
    while (a.role() != Role.CANDIDATE) {
      a.tick();
    }
    a.ready();
    a.persisted(a.lastWriteSeq()); // the term and vote are durable
    a.step(new VoteResponse(2, "b", "a", true));
    a.ready();
    a.step(AppendResponse.rejected(2, "b", "a", 5, 0, 1)); // b holds nothing: it needs the snapshot
    InstallSnapshot sent = a.ready().messages().stream().filter(m -> m instanceof InstallSnapshot)
        .map(m -> (InstallSnapshot) m).findFirst().orElseThrow();
    assertThat(sent.membership()).isEqualTo(Membership.ofVoters(ABC));
  }

  @Test
  void aConfigurationEntryOverwrittenByANewLeaderIsRolledBack() {
    RaftCore b = core("b", ABC, PersistentState.EMPTY);
    Membership joint = voters("a", "b", "c").transitionTo(voters("a", "b"));
    b.step(new AppendEntries(1, "a", "b", 0, 0, List.of(LogEntry.config(1, 1, joint)), 0));
    assertThat(b.membership()).isEqualTo(joint);
    assertThat(b.membershipIndex()).isEqualTo(1);
    b.step(new AppendEntries(2, "c", "b", 0, 0, List.of(LogEntry.command(1, 2, new byte[] {9})), 0));
    assertThat(b.membership()).as("back to the configuration before it").isEqualTo(voters("a", "b", "c"));
    assertThat(b.membershipIndex()).isZero();
  }

  @Test
  void aSnapshotCarriesTheMembershipToAFollowerAndThroughARestart() {
    RaftCore a = leaderA();
    Membership target = Membership.of(Set.of("a", "b", "c"), Set.of("d"));
    a.proposeMembership(target, true);
    a.ready();
    a.persisted(a.lastWriteSeq());
    ack(a, "b", 1);
    a.propose(List.of(new byte[] {1}));
    a.ready();
    a.persisted(a.lastWriteSeq());
    ack(a, "b", 2);
    assertThat(a.commitIndex()).isEqualTo(2);
    assertThat(a.takeApply(10)).hasSize(2);
    a.snapshotTaken(2, new byte[] {42});
    Snapshot written = a.ready().write().snapshot();
    assertThat(written.membership()).isEqualTo(target);

    // a follower that starts empty gets it with the snapshot (d has no entries to get it from)
    a.step(AppendResponse.rejected(1, "d", "a", 1, 0, 1));
    List<Message> out = a.ready().messages();
    InstallSnapshot chunk = out.stream().filter(m -> m instanceof InstallSnapshot && m.to().equals("d"))
        .map(m -> (InstallSnapshot) m).findFirst().orElseThrow();
    assertThat(chunk.membership()).isEqualTo(target);
    RaftCore d = core("d", ABC, PersistentState.EMPTY);
    d.step(chunk);
    assertThat(d.membership()).isEqualTo(target);
    assertThat(d.takeApply(10)).first().isInstanceOf(ApplyEvent.SnapshotInstalled.class);

    // a restart from the snapshot alone, and from a log holding a later change
    RaftCore restarted = core("a", ABC, new PersistentState(new HardState(1, "a"), written, List.of()));
    assertThat(restarted.membership()).isEqualTo(target);
    Membership later = voters("a", "b");
    Membership joint = target.transitionTo(later);
    RaftCore withLog = core("a", ABC, new PersistentState(new HardState(1, "a"), written,
        List.of(LogEntry.config(3, 1, joint))));
    assertThat(withLog.membership()).isEqualTo(joint);
    assertThat(withLog.membershipIndex()).isEqualTo(3);
    assertThat(withLog.committedMembership()).isEqualTo(target);
  }
}

package dev.raftflow.engine.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.AppendResponse;
import dev.raftflow.engine.message.InstallSnapshot;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.message.SnapshotResponse;
import dev.raftflow.engine.message.TimeoutNow;
import dev.raftflow.engine.message.VoteResponse;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Targeted behaviour of the pure core, driven message by message. */
class RaftCoreTest {

  private static final List<String> ABC = List.of("a", "b", "c");
  private static final RaftOptions OPTS = RaftOptions.builder()
      .heartbeatTicks(1).electionTicks(10).leaderNoop(false).maxInflightMessages(2).maxEntriesPerMessage(2)
      .preVote(false).build();

  private static RaftCore core(String id, PersistentState ps) {
    return new RaftCore(id, ABC, OPTS, new Random(1), ps);
  }

  /** Member "a", elected leader of term 1 on an empty log, with its first Ready (probes) taken. */
  private static RaftCore leaderA() {
    RaftCore a = core("a", PersistentState.EMPTY);
    elect(a);
    a.ready();
    return a;
  }

  /**
   * What a member sends from one Ready, after its write as well: a follower's first answer in a new
   * term waits for the term to be durable.
   */
  private static List<Message> answers(Ready r) {
    List<Message> all = new ArrayList<>(r.messages());
    all.addAll(r.messagesAfterWrite());
    return all;
  }

  /** The Ready of a member whose store is durable on return: its write is acknowledged at once. */
  private static Ready durable(RaftCore c) {
    Ready r = c.ready();
    if (!r.write().isEmpty()) {
      c.persisted(r.write().seq());
    }
    return r;
  }

  private static List<LogEntry> entries(long... terms) {
    List<LogEntry> out = new ArrayList<>();
    for (int i = 0; i < terms.length; i++) {
      out.add(LogEntry.command(i + 1, terms[i], new byte[] {(byte) i}));
    }
    return out;
  }

  private static void elect(RaftCore c) {
    while (c.role() != Role.CANDIDATE) {
      c.tick();
    }
    Ready r = c.ready();
    assertThat(r.write().hardState()).isEqualTo(new HardState(c.term(), c.id()));
    assertThat(r.messages()).as("votes wait for the durable vote").isEmpty();
    assertThat(r.messagesAfterWrite()).hasSize(2).allMatch(m -> m instanceof RequestVote);
    c.persisted(r.write().seq()); // the term and vote are durable
    c.step(new VoteResponse(c.term(), "b", c.id(), true));
    assertThat(c.role()).isEqualTo(Role.LEADER);
  }

  @Test
  void aReadIsConfirmedOnlyByAnswersToAppendsSentAfterItWasAsked() {
    RaftCore a = leaderA(); // its probes are out
    a.step(AppendResponse.accepted(1, "b", "a", 0));
    a.step(AppendResponse.accepted(1, "c", "a", 0));
    a.propose(List.of(new byte[] {1}));
    Ready sent = a.ready();
    assertThat(sent.messages()).hasSize(2).allMatch(m -> ((AppendEntries) m).readRound() == 0);
    a.persisted(a.lastWriteSeq());
    a.step(AppendResponse.accepted(1, "b", "a", 1, 0));
    assertThat(a.commitIndex()).isEqualTo(1);

    assertThat(a.requestRead(7)).isTrue();
    Ready round = a.ready();
    assertThat(round.outcomes(Outcome.ReadConfirmed.class)).as("a majority has not answered since").isEmpty();
    assertThat(round.messages()).as("a heartbeat per follower carries the read round").hasSize(2)
        .allMatch(m -> m instanceof AppendEntries ae && ae.readRound() == 1 && ae.entries().isEmpty());
    a.step(AppendResponse.accepted(1, "c", "a", 1, 0)); // c answers the append sent before the read
    assertThat(a.ready().outcomes(Outcome.ReadConfirmed.class)).as("an answer to an earlier append proves nothing").isEmpty();
    a.step(AppendResponse.rejected(1, "b", "a", 5, 0, 2, 1)); // a rejection in our term still follows us
    assertThat(a.ready().outcomes(Outcome.ReadConfirmed.class)).containsExactly(new Outcome.ReadConfirmed(7, 1));
  }

  @Test
  void readsAskedInOneTurnShareARoundAndFailWhenTheLeaderStepsDown() {
    RaftCore a = leaderA();
    assertThat(a.requestRead(1)).isTrue();
    assertThat(a.requestRead(2)).isTrue();
    Ready round = a.ready();
    assertThat(round.messages()).hasSize(2).allMatch(m -> ((AppendEntries) m).readRound() == 1);
    assertThat(a.requestRead(3)).isTrue();
    assertThat(a.ready().messages()).allMatch(m -> ((AppendEntries) m).readRound() == 2);
    a.step(AppendResponse.accepted(1, "b", "a", 0, 1));
    assertThat(a.ready().outcomes(Outcome.ReadConfirmed.class)).as("round 1 answered, round 2 not yet")
        .containsExactly(new Outcome.ReadConfirmed(1, 0), new Outcome.ReadConfirmed(2, 0));
    a.step(new AppendEntries(5, "c", "a", 0, 0, List.of(), 0)); // a newer term's leader: no longer the leader
    assertThat(a.ready().outcomes(Outcome.ReadFailed.class)).containsExactly(new Outcome.ReadFailed(3));
    assertThat(a.requestRead(4)).as("a follower serves no reads").isFalse();
  }

  @Test
  void leadershipGoesToAFollowerOnceItsLogIsUpToDate() {
    RaftCore a = leaderA(); // its probes are out
    a.step(AppendResponse.accepted(1, "b", "a", 0));
    a.step(AppendResponse.accepted(1, "c", "a", 0));
    a.propose(List.of(new byte[] {1}, new byte[] {2}));
    a.ready();
    a.persisted(a.lastWriteSeq());
    a.step(AppendResponse.accepted(1, "b", "a", 2));
    a.ready();

    assertThat(a.transferLeadership("x")).as("not a member").isFalse();
    assertThat(a.transferLeadership("c")).isTrue();
    assertThat(a.propose(List.of(new byte[] {3}))).as("no proposals while handing over").isEqualTo(-1);
    assertThat(a.ready().messages()).as("c is behind: no TimeoutNow yet").noneMatch(m -> m instanceof TimeoutNow);
    a.step(AppendResponse.accepted(1, "c", "a", 1));
    assertThat(a.ready().messages()).noneMatch(m -> m instanceof TimeoutNow);
    a.step(AppendResponse.accepted(1, "c", "a", 2));
    assertThat(a.ready().messages()).contains(new TimeoutNow(1, "a", "c"));

    RaftCore c = core("c", new PersistentState(new HardState(1, "a"), null, entries(1, 1)));
    c.step(new AppendEntries(1, "a", "c", 2, 1, List.of(), 2));
    c.ready();
    c.step(new TimeoutNow(1, "a", "c"));
    assertThat(c.role()).as("campaigns at once, no pre-vote").isEqualTo(Role.CANDIDATE);
    assertThat(c.term()).isEqualTo(2);
    List<Message> asks = c.ready().messagesAfterWrite();
    assertThat(asks).hasSize(2).allMatch(m -> m instanceof RequestVote v && !v.preVote() && v.transfer());

    a.step(new RequestVote(2, "c", "a", 2, 1));
    assertThat(a.role()).as("a plain request is ignored while a leads (CheckQuorum lease)").isEqualTo(Role.LEADER);
    a.step(asks.stream().filter(m -> m.to().equals("a")).findFirst().orElseThrow());
    assertThat(a.role()).isEqualTo(Role.FOLLOWER);
    assertThat(a.leadTransferee()).isNull();
    assertThat(a.ready().messagesAfterWrite()).contains(new VoteResponse(2, "a", "c", true));
  }

  @Test
  void withoutLeaderNoopAReadAppendsTheNoOpItsReadPointNeedsToCommit() {
    RaftCore a = core("a", new PersistentState(new HardState(1, null), null, entries(1, 1)));
    elect(a); // term 2, log from term 1 only, no no-op (OPTS)
    a.ready();
    a.step(AppendResponse.accepted(2, "b", "a", 2));
    a.ready();
    assertThat(a.commitIndex()).as("term-1 entries cannot commit by counting").isZero();
    assertThat(a.requestRead(9)).isTrue();
    Ready r = a.ready();
    assertThat(r.write().entries()).extracting(LogEntry::index, LogEntry::term).containsExactly(
        org.assertj.core.groups.Tuple.tuple(3L, 2L));
    assertThat(r.write().entries().get(0).type()).isEqualTo(dev.raftflow.engine.message.EntryType.NOOP);
    a.persisted(a.lastWriteSeq());
    a.step(AppendResponse.accepted(2, "b", "a", 3, 1));
    assertThat(a.commitIndex()).isEqualTo(3);
    assertThat(a.ready().outcomes(Outcome.ReadConfirmed.class)).containsExactly(new Outcome.ReadConfirmed(9, 2));
  }

  @Test
  void aLostTimeoutNowIsSentAgainAtTheNextHeartbeat() {
    RaftCore a = leaderA();
    assertThat(a.transferLeadership("b")).isTrue();
    assertThat(a.ready().messages()).contains(new TimeoutNow(1, "a", "b")); // lost on the way
    a.tick(); // heartbeatTicks = 1
    assertThat(a.ready().messages()).contains(new TimeoutNow(1, "a", "b"));
    a.cancelTransfer();
    a.tick();
    assertThat(a.ready().messages()).noneMatch(m -> m instanceof TimeoutNow);
  }

  @Test
  void aTransferThatDoesNotCompleteWithinAnElectionTimeoutIsAbandoned() {
    RaftCore a = leaderA();
    assertThat(a.transferLeadership("b")).isTrue();
    assertThat(a.ready().messages()).as("b matches the empty log").contains(new TimeoutNow(1, "a", "b"));
    for (int i = 0; i < OPTS.electionTicks() - 1; i++) {
      a.tick();
      a.step(AppendResponse.accepted(1, "c", "a", 0)); // keeps the quorum check happy
      a.step(AppendResponse.accepted(1, "b", "a", 0));
    }
    assertThat(a.leadTransferee()).isEqualTo("b");
    a.tick();
    assertThat(a.leadTransferee()).as("given up after an election timeout").isNull();
    assertThat(a.role()).isEqualTo(Role.LEADER);
    assertThat(a.propose(List.of(new byte[] {1}))).as("proposals resume").isEqualTo(1);
  }

  @Test
  void preVotesForTheNextTermNeverCountAsVotesInThisOne() {
    // regression of simulation seed 6005: pre-vote grants and real votes shared one set
    List<String> five = List.of("a", "b", "c", "d", "e");
    RaftOptions opts = OPTS.toBuilder().preVote(true).build();
    RaftCore a = new RaftCore("a", five, opts, new Random(1), PersistentState.EMPTY);
    while (!a.ready().messages().stream().anyMatch(m -> m instanceof RequestVote v && v.preVote())) {
      a.tick();
    }
    a.step(new VoteResponse(1, "b", "a", true, true));
    a.step(new VoteResponse(1, "c", "a", true, true));
    assertThat(a.role()).isEqualTo(Role.CANDIDATE);
    assertThat(a.term()).isEqualTo(1);
    a.ready();
    a.persisted(a.lastWriteSeq()); // the term and vote are durable
    // term 1 times out without a leader: a pre-campaigns for term 2, and b grants that pre-vote
    while (!a.ready().messages().stream().anyMatch(m -> m instanceof RequestVote v && v.preVote() && v.term() == 2)) {
      a.tick();
    }
    a.step(new VoteResponse(2, "b", "a", true, true));
    a.step(new VoteResponse(1, "d", "a", true, false)); // a late real vote for term 1
    assertThat(a.role()).as("self and d are two real votes of five: no leader").isEqualTo(Role.CANDIDATE);
    a.step(new VoteResponse(1, "e", "a", true, false));
    assertThat(a.role()).as("a third real vote for term 1 elects it").isEqualTo(Role.LEADER);
    assertThat(a.term()).isEqualTo(1);
    // regression of simulation seed 127: a late grant of the pre-vote round begun as a candidate made
    // the new leader campaign against itself (and carry its pending reads into the next term)
    a.step(new VoteResponse(2, "c", "a", true, true));
    assertThat(a.role()).as("a leader ignores grants of a pre-vote round it no longer needs").isEqualTo(Role.LEADER);
    assertThat(a.term()).isEqualTo(1);
  }

  @Test
  void candidatePersistsTermAndVoteBeforeAskingForVotes() {
    RaftCore a = core("a", PersistentState.EMPTY);
    elect(a);
    assertThat(a.term()).isEqualTo(1);
    assertThat(a.leaderId()).isEqualTo("a");
  }

  @Test
  void voteIsRefusedToACandidateWithAStalerLog() {
    RaftCore b = core("b", new PersistentState(new HardState(3, null), null, entries(1, 3)));
    b.step(new RequestVote(4, "a", "b", 5, 2)); // longer but older last term
    Ready r = b.ready();
    assertThat(r.messagesAfterWrite()).containsExactly(new VoteResponse(4, "b", "a", false));
    assertThat(r.write().hardState()).isEqualTo(new HardState(4, null));
    b.step(new RequestVote(4, "c", "b", 2, 3)); // same last term, as long
    Ready granted = b.ready();
    assertThat(granted.messagesAfterWrite()).containsExactly(new VoteResponse(4, "b", "c", true));
    assertThat(granted.write().hardState()).as("the vote is written before the grant is sent")
        .isEqualTo(new HardState(4, "c"));
    b.step(new RequestVote(4, "a", "b", 9, 9)); // already voted in term 4
    assertThat(answers(b.ready())).as("the refusal waits for the durable term").isEmpty();
    b.persisted(b.lastWriteSeq());
    assertThat(answers(b.ready())).containsExactly(new VoteResponse(4, "b", "a", false));
  }

  @Test
  void proposalsWaitingAtOneTurnTravelAsOneMessagePerFollowerAndPipelineUpToTheWindow() {
    RaftCore a = leaderA(); // its probes are out
    a.step(AppendResponse.accepted(1, "b", "a", 0));
    a.step(AppendResponse.accepted(1, "c", "a", 0));
    a.propose(List.of(new byte[] {1}, new byte[] {2}, new byte[] {3}, new byte[] {4}, new byte[] {5}, new byte[] {6}));
    Ready r = a.ready();
    // 6 entries, 2 per message, window of 2 messages: 2 messages of 2 entries per follower
    List<AppendEntries> toB = r.messages().stream().filter(m -> m.to().equals("b")).map(m -> (AppendEntries) m).toList();
    assertThat(toB).hasSize(2);
    assertThat(toB.get(0).entries()).extracting(LogEntry::index).containsExactly(1L, 2L);
    assertThat(toB.get(1).entries()).extracting(LogEntry::index).containsExactly(3L, 4L);
    assertThat(r.write().entries()).hasSize(6);
    // an ack frees the window and the rest goes out
    a.step(AppendResponse.accepted(1, "b", "a", 2));
    List<Message> next = a.ready().messages();
    assertThat(next).filteredOn(m -> m.to().equals("b")).singleElement()
        .satisfies(m -> assertThat(((AppendEntries) m).prevLogIndex()).isEqualTo(4));
  }

  @Test
  void leaderCommitsOnlyWithItsOwnDurableIndexCounted() {
    RaftCore a = leaderA(); // its probes are out
    a.step(AppendResponse.accepted(1, "b", "a", 0));
    a.propose(List.of(new byte[] {1}));
    a.ready();
    a.step(AppendResponse.accepted(1, "b", "a", 1));
    assertThat(a.commitIndex()).as("b alone is not a majority while a's write is pending").isZero();
    a.persisted(a.lastWriteSeq());
    assertThat(a.commitIndex()).as("a's durable index counts like a follower's").isEqualTo(1);
  }

  @Test
  void commitWaitsForTheLeaderDurableIndex() {
    RaftCore a = leaderA();
    a.propose(List.of(new byte[] {1}));
    a.ready();
    a.step(AppendResponse.accepted(1, "b", "a", 0));
    a.step(AppendResponse.accepted(1, "b", "a", 1));
    a.step(AppendResponse.accepted(1, "c", "a", 1));
    assertThat(a.commitIndex()).as("two followers durable: majority without the leader").isEqualTo(1);
  }

  @Test
  void figure8LeaderDoesNotCommitAnOlderTermEntryByCountingReplicas() {
    // a leads term 3 with an entry of term 2 it got from an earlier leader, uncommitted
    RaftCore a = core("a", new PersistentState(new HardState(2, "a"), null, entries(1, 2)));
    elect(a);
    assertThat(a.term()).isEqualTo(3);
    a.ready();
    a.step(AppendResponse.accepted(3, "b", "a", 2)); // b holds index 2 (term 2)
    assertThat(a.commitIndex()).as("index 2 is of term 2: not committed by replica count").isZero();
    a.propose(List.of(new byte[] {9}));
    a.ready();
    a.persisted(a.lastWriteSeq());
    a.step(AppendResponse.accepted(3, "b", "a", 3));
    assertThat(a.commitIndex()).as("a term-3 entry on a majority commits everything before it").isEqualTo(3);
  }

  @Test
  void followerRejectsWithAHintThatSkipsAWholeConflictingTerm() {
    // follower b has 1@1, then five entries of term 2 that the leader never had
    RaftCore b = core("b", new PersistentState(new HardState(2, null), null, entries(1, 2, 2, 2, 2, 2)));
    b.step(new AppendEntries(3, "a", "b", 6, 3, List.of(), 0));
    AppendResponse r = (AppendResponse) durable(b).messagesAfterWrite().get(0);
    assertThat(r.success()).isFalse();
    assertThat(r.conflictTerm()).isEqualTo(2);
    assertThat(r.conflictIndex()).isEqualTo(2);
    // too short a log: the hint is its length
    b.step(new AppendEntries(3, "a", "b", 20, 3, List.of(), 0));
    AppendResponse shortLog = (AppendResponse) answers(b.ready()).get(0);
    assertThat(shortLog.conflictTerm()).isZero();
    assertThat(shortLog.conflictIndex()).isEqualTo(7);
  }

  @Test
  void leaderBacksUpAWholeTermPerRoundTrip() {
    RaftCore a = core("a", new PersistentState(new HardState(2, "a"), null, entries(1, 1, 1, 1, 1, 1, 1, 1, 1, 1)));
    elect(a);
    a.propose(List.of(new byte[] {1}));
    a.ready();
    // b has index 1..2 of term 1 then term-2 entries up to 30: its hint skips to index 3
    a.step(AppendResponse.rejected(3, "b", "a", 10, 2, 3));
    AppendEntries probe = (AppendEntries) a.ready().messages().stream().filter(m -> m.to().equals("b")).findFirst().orElseThrow();
    assertThat(probe.prevLogIndex()).isEqualTo(2);
  }

  @Test
  void followerTruncatesAConflictingSuffixButNeverOnAStaleDuplicate() {
    RaftCore b = core("b", new PersistentState(new HardState(2, null), null, entries(1, 2, 2)));
    b.step(new AppendEntries(3, "a", "b", 1, 1, List.of(LogEntry.command(2, 3, new byte[] {7})), 0));
    Ready r = b.ready();
    assertThat(r.write().entries()).extracting(LogEntry::index).containsExactly(2L);
    assertThat(b.lastIndex()).isEqualTo(2);
    // a delayed copy of an older, shorter message must not truncate what followed
    b.step(new AppendEntries(3, "a", "b", 2, 3, List.of(LogEntry.command(3, 3, new byte[] {8})), 0));
    b.ready();
    b.step(new AppendEntries(3, "a", "b", 1, 1, List.of(LogEntry.command(2, 3, new byte[] {7})), 0));
    assertThat(b.lastIndex()).isEqualTo(3);
    assertThat(b.ready().write().entries()).isEmpty();
  }

  @Test
  void laggingFollowerGetsTheSnapshotThenTheEntriesAfterIt() {
    RaftCore a = leaderA(); // its probes are out
    a.step(AppendResponse.accepted(1, "b", "a", 0));
    for (int i = 0; i < 10; i++) {
      a.propose(List.of(new byte[] {(byte) i}));
    }
    a.ready();
    a.persisted(a.lastWriteSeq());
    a.step(AppendResponse.accepted(1, "b", "a", 10));
    assertThat(a.commitIndex()).isEqualTo(10);
    a.takeApply(100);
    assertThat(a.snapshotTaken(8, new byte[] {42})).isTrue();
    assertThat(a.ready().write().snapshot().index()).as("the snapshot is written").isEqualTo(8);
    // c never answered its probe at index 0; the next heartbeat re-probes, and index 0 is compacted
    a.tick();
    InstallSnapshot snap = (InstallSnapshot) a.ready().messages().stream().filter(m -> m.to().equals("c")).findFirst().orElseThrow();
    assertThat(snap.lastIncludedIndex()).isEqualTo(8);
    assertThat(snap.data()).containsExactly(42);

    RaftCore c = core("c", PersistentState.EMPTY);
    c.step(snap);
    Ready cr = durable(c);
    assertThat(cr.write().snapshot()).isNotNull();
    assertThat(c.takeApply(10)).singleElement().isInstanceOf(ApplyEvent.SnapshotInstalled.class);
    a.step(cr.messagesAfterWrite().get(0));
    AppendEntries rest = (AppendEntries) a.ready().messages().stream().filter(m -> m.to().equals("c")).findFirst().orElseThrow();
    assertThat(rest.prevLogIndex()).isEqualTo(8);
    c.step(rest);
    durable(c);
    assertThat(c.lastIndex()).isEqualTo(10);
    assertThat(c.takeApply(10)).extracting(ApplyEvent::index).containsExactly(9L, 10L);
  }

  // ------------------------------------------------------------------ snapshots in chunks

  /** Chunks of 4 bytes, at most 2 chunks' worth unanswered. */
  private static final RaftOptions CHUNKED = OPTS.toBuilder().snapshotChunkBytes(4).maxInflightMessages(2).build();

  private static final byte[] STATE = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};

  /**
   * Leader "a" of term 1 under {@code options} whose service snapshotted {@code state} at {@code at},
   * after b (only) acknowledged its {@code commands} commands; c never answered.
   */
  private static RaftCore leaderWithSnapshot(RaftOptions options, int commands, long at, byte[] state) {
    RaftCore a = new RaftCore("a", ABC, options, new Random(1), PersistentState.EMPTY);
    elect(a);
    a.ready();
    a.step(AppendResponse.accepted(1, "b", "a", 0));
    commitAndSnapshot(a, commands, at, state);
    return a;
  }

  /**
   * Leader "a" of term 1 appends commands up to index {@code upTo}, b acknowledges them, the
   * service applies them and snapshots {@code state} at {@code at}.
   */
  private static void commitAndSnapshot(RaftCore a, long upTo, long at, byte[] state) {
    for (long i = a.lastIndex() + 1; i <= upTo; i++) {
      a.propose(List.of(new byte[] {(byte) (i - 1)}));
    }
    a.ready();
    a.persisted(a.lastWriteSeq());
    a.step(AppendResponse.accepted(1, "b", "a", upTo));
    a.takeApply(100);
    assertThat(a.snapshotTaken(at, state)).isTrue();
    a.ready();
  }

  /** Leader "a" (chunked options) whose snapshot at 8 holds {@link #STATE}; c never answered. */
  private static RaftCore leaderWithSnapshotForC() {
    return leaderWithSnapshot(CHUNKED, 10, 8, STATE);
  }

  private static List<InstallSnapshot> chunksTo(String to, Ready r) {
    return r.messages().stream().filter(m -> m instanceof InstallSnapshot && m.to().equals(to))
        .map(m -> (InstallSnapshot) m).toList();
  }

  private static List<Long> offsets(List<InstallSnapshot> chunks) {
    return chunks.stream().map(InstallSnapshot::offset).toList();
  }

  @Test
  void aSnapshotTravelsInChunksWithinTheWindowAndGoesBackForALostOne() {
    RaftCore a = leaderWithSnapshotForC();
    a.tick(); // the heartbeat re-probes c, whose next entry is compacted away
    List<InstallSnapshot> first = chunksTo("c", a.ready());
    assertThat(offsets(first)).as("two chunks of 4 bytes: the window").containsExactly(0L, 4L);
    assertThat(first).allMatch(s -> s.totalBytes() == 10 && s.lastIncludedIndex() == 8);
    assertThat(first).extracting(InstallSnapshot::seq).containsExactly(1L, 2L);

    RaftCore c = new RaftCore("c", ABC, CHUNKED, new Random(3), PersistentState.EMPTY);
    c.step(first.get(0)); // the chunk at 4 is lost
    Ready cr = durable(c);
    assertThat(cr.write().snapshot()).as("nothing installed before the last chunk").isNull();
    assertThat(answers(cr)).containsExactly(SnapshotResponse.received(1, "c", "a", 8, 1, 0, 4));
    a.step(answers(cr).get(0));
    List<InstallSnapshot> last = chunksTo("c", a.ready());
    assertThat(offsets(last)).as("the window moved by one chunk").containsExactly(8L);
    assertThat(last.get(0).last()).isTrue();

    c.step(last.get(0)); // arrives after a gap, twice
    c.step(last.get(0));
    Ready gap = durable(c);
    assertThat(answers(gap)).hasSize(2).allMatch(m -> m.equals(SnapshotResponse.received(1, "c", "a", 8, 3, 8, 4)));
    assertThat(gap.write().snapshot()).isNull();
    a.step(answers(gap).get(0));
    List<InstallSnapshot> again = chunksTo("c", a.ready());
    assertThat(offsets(again)).as("back to the missing chunk").containsExactly(4L, 8L);
    a.step(answers(gap).get(1));
    assertThat(chunksTo("c", a.ready())).as("the same request again changes nothing").isEmpty();

    c.step(again.get(0));
    c.step(again.get(1));
    Ready done = durable(c);
    assertThat(done.write().snapshot().data()).as("the chunks put together").containsExactly(STATE);
    assertThat(done.messagesAfterWrite()).contains(SnapshotResponse.installed(1, "c", "a", 8));
    assertThat(c.takeApply(10)).singleElement().isInstanceOfSatisfying(ApplyEvent.SnapshotInstalled.class,
        s -> assertThat(s.data()).containsExactly(STATE));
    a.step(SnapshotResponse.installed(1, "c", "a", 8));
    AppendEntries rest = (AppendEntries) a.ready().messages().stream().filter(m -> m.to().equals("c")).findFirst().orElseThrow();
    assertThat(rest.prevLogIndex()).isEqualTo(8);
  }

  @Test
  void withNothingSentForHalfAnElectionTimeoutTheLeaderProbesAndGoesBack() {
    RaftCore a = leaderWithSnapshotForC();
    a.tick();
    a.ready(); // chunks 0 and 4, both lost
    for (int i = 1; i < 5; i++) {
      a.tick();
      assertThat(chunksTo("c", a.ready())).as("tick %d: nothing resent", i).isEmpty();
    }
    a.tick();
    List<InstallSnapshot> probe = chunksTo("c", a.ready());
    assertThat(probe).singleElement().satisfies(p -> {
      assertThat(p.data()).as("an empty chunk").isEmpty();
      assertThat(p.offset()).as("at the end of what was sent").isEqualTo(8);
    });
    RaftCore c = new RaftCore("c", ABC, CHUNKED, new Random(3), PersistentState.EMPTY);
    c.step(probe.get(0));
    Ready r = durable(c);
    assertThat(answers(r)).containsExactly(SnapshotResponse.received(1, "c", "a", 8, 3, 8, 0));
    a.step(answers(r).get(0));
    assertThat(offsets(chunksTo("c", a.ready()))).containsExactly(0L, 4L);
  }

  @Test
  void aLostEmptySnapshotIsResentToo() {
    RaftCore a = leaderWithSnapshot(CHUNKED, 1, 1, new byte[0]);
    a.tick();
    assertThat(chunksTo("c", a.ready())).singleElement().matches(InstallSnapshot::last);
    for (int i = 1; i < 5; i++) {
      a.tick();
      a.ready();
    }
    a.tick();
    List<InstallSnapshot> again = chunksTo("c", a.ready());
    assertThat(again).as("no answer for half an election timeout").singleElement().matches(s -> s.totalBytes() == 0);
    RaftCore c = new RaftCore("c", ABC, CHUNKED, new Random(3), PersistentState.EMPTY);
    c.step(again.get(0));
    assertThat(durable(c).write().snapshot()).isNotNull();
  }

  @Test
  void aFollowerThatRestartedMidTransferMakesTheLeaderStartOverOnce() {
    RaftCore a = leaderWithSnapshotForC();
    a.tick();
    List<InstallSnapshot> first = chunksTo("c", a.ready());
    RaftCore c = new RaftCore("c", ABC, CHUNKED, new Random(3), PersistentState.EMPTY);
    c.step(first.get(0));
    a.step(answers(durable(c)).get(0));
    InstallSnapshot third = chunksTo("c", a.ready()).get(0);
    RaftCore restarted = new RaftCore("c", ABC, CHUNKED, new Random(3), PersistentState.EMPTY);
    restarted.step(first.get(1));
    restarted.step(third);
    Ready r = restarted.ready();
    assertThat(answers(r)).as("it holds nothing of this transfer").containsExactly(
        SnapshotResponse.received(1, "c", "a", 8, 2, 4, 0), SnapshotResponse.received(1, "c", "a", 8, 3, 8, 0));
    a.step(answers(r).get(0));
    assertThat(offsets(chunksTo("c", a.ready()))).containsExactly(0L, 4L);
    a.step(answers(r).get(1));
    assertThat(chunksTo("c", a.ready())).as("a second answer to an earlier chunk: already going back").isEmpty();
  }

  @Test
  void overASlowLosslessLinkNoChunkIsSentTwice() {
    RaftOptions quiet = CHUNKED.toBuilder().checkQuorum(false).build(); // b stays silent throughout
    for (int ticksPerMessage : new int[] {1, 3, 6, 12, 25}) {
      byte[] state = new byte[64]; // 16 chunks of 4 bytes
      new Random(9).nextBytes(state);
      RaftCore a = leaderWithSnapshot(quiet, 1, 1, state);
      RaftCore c = new RaftCore("c", ABC, quiet, new Random(3), PersistentState.EMPTY);
      // a to c: in order, k ticks to carry a chunk's bytes, none for an empty probe
      java.util.ArrayDeque<Message> link = new java.util.ArrayDeque<>();
      int busy = 0;
      List<Long> offsetsSent = new ArrayList<>();
      int tick = 0;
      while (c.snapshotIndex() != 1 && tick < 2000) {
        tick++;
        a.tick();
        for (Message m : a.ready().messages()) {
          if (m.to().equals("c")) {
            link.add(m);
            if (m instanceof InstallSnapshot is && is.data().length > 0) {
              offsetsSent.add(is.offset());
            }
          }
        }
        busy++;
        while (!link.isEmpty()) {
          boolean empty = link.peek() instanceof InstallSnapshot is && is.data().length == 0;
          if (!empty && busy < ticksPerMessage) {
            break;
          }
          if (!empty) {
            busy = 0;
          }
          c.step(link.poll());
          Ready r = durable(c);
          answers(r).forEach(a::step); // answers come back at once
          r.messagesAfterWrite().forEach(a::step);
        }
      }
      assertThat(c.snapshotIndex()).as("%d ticks per message: installed", ticksPerMessage).isEqualTo(1);
      assertThat(offsetsSent).as("%d ticks per message: every chunk sent once", ticksPerMessage).doesNotHaveDuplicates()
          .hasSize(16);
      assertThat(tick).as("%d ticks per message: time", ticksPerMessage).isLessThan(ticksPerMessage * 16 * 2 + 20);
    }
  }

  @Test
  void aFollowerThatRestartedAndGotALateFirstChunkStillGetsTheRest() {
    RaftCore a = leaderWithSnapshotForC();
    a.tick();
    List<InstallSnapshot> first = chunksTo("c", a.ready()); // 0 and 4
    RaftCore c = new RaftCore("c", ABC, CHUNKED, new Random(3), PersistentState.EMPTY);
    c.step(first.get(0));
    c.step(first.get(1));
    Ready cr = durable(c);
    answers(cr).forEach(a::step); // the leader knows c holds 8 bytes
    InstallSnapshot last = chunksTo("c", a.ready()).get(0);
    RaftCore restarted = new RaftCore("c", ABC, CHUNKED, new Random(3), PersistentState.EMPTY);
    restarted.step(first.get(0)); // a late copy of the first chunk reaches the new process first
    durable(restarted);
    List<Message> toC = new ArrayList<>(List.of(last));
    for (int round = 0; round < 20 && restarted.snapshotIndex() != 8; round++) {
      for (Message m : toC) {
        restarted.step(m);
      }
      Ready r = durable(restarted);
      answers(r).forEach(a::step);
      r.messagesAfterWrite().forEach(a::step);
      a.tick();
      toC = a.ready().messages().stream().filter(m -> m.to().equals("c")).toList();
    }
    assertThat(restarted.snapshotIndex()).as("installed over a lossless link").isEqualTo(8);
  }

  @Test
  void aStalledTransferKeepsTheFollowerInTouchAndMovesToTheLatestSnapshot() {
    RaftCore a = leaderSendingSnapshotToC(CHUNKED.toBuilder().checkQuorum(false).build()); // c is down
    int lastSent = 0;
    String lastTo = null;
    for (int t = 1; t <= 60; t++) {
      a.tick();
      List<InstallSnapshot> sent = chunksTo("c", a.ready());
      if (!sent.isEmpty()) {
        assertThat(t - lastSent).as("something reaches c at least every half election timeout").isLessThanOrEqualTo(5);
        lastSent = t;
        lastTo = "snapshot " + sent.get(sent.size() - 1).lastIncludedIndex();
      }
    }
    assertThat(lastTo).as("after two election timeouts without an answer it offers the latest snapshot")
        .isEqualTo("snapshot 18");
    assertThat(a.progressSummary()).contains("snapshot=18");
  }

  @Test
  void anOlderSnapshotReportedHeldDoesNotEndTheTransfer() {
    RaftCore a = leaderWithSnapshotForC();
    a.tick();
    List<InstallSnapshot> first = chunksTo("c", a.ready());
    a.step(SnapshotResponse.installed(1, "c", "a", 5)); // a late answer about some older snapshot
    assertThat(a.ready().messages()).noneMatch(m -> m instanceof AppendEntries && m.to().equals("c"));
    RaftCore c = new RaftCore("c", ABC, CHUNKED, new Random(3), PersistentState.EMPTY);
    c.step(first.get(0));
    a.step(answers(durable(c)).get(0));
    assertThat(offsets(chunksTo("c", a.ready()))).as("the transfer goes on").containsExactly(8L);
  }

  @Test
  void chunksOfAnotherLeaderOrTermAreNeverMixedIn() {
    RaftCore c = new RaftCore("c", ABC, CHUNKED, new Random(3), PersistentState.EMPTY);
    c.step(new InstallSnapshot(1, "a", "c", 8, 1, 1, 0, 10, new byte[] {0, 1, 2, 3}));
    durable(c);
    // b leads term 2 and sends the same snapshot's second chunk, with other bytes
    c.step(new InstallSnapshot(2, "b", "c", 8, 1, 2, 4, 10, new byte[] {9, 9, 9, 9}));
    Ready r = durable(c);
    assertThat(answers(r)).containsExactly(SnapshotResponse.received(2, "c", "b", 8, 2, 4, 0));
    c.step(new InstallSnapshot(2, "b", "c", 8, 1, 3, 8, 10, new byte[] {9, 9}));
    assertThat(durable(c).write().snapshot()).as("no snapshot from mixed chunks").isNull();
    // within one term: the start of one snapshot, then the middle of another
    c.step(new InstallSnapshot(2, "b", "c", 9, 2, 1, 0, 10, new byte[] {5, 5, 5, 5}));
    durable(c);
    c.step(new InstallSnapshot(2, "b", "c", 8, 1, 2, 4, 10, new byte[] {9, 9, 9, 9}));
    assertThat(answers(durable(c))).containsExactly(SnapshotResponse.received(2, "c", "b", 8, 2, 4, 0));
    assertThat(c.snapshotIndex()).isZero();
  }

  @Test
  void anEmptySnapshotIsOneEmptyChunk() {
    RaftCore c = new RaftCore("c", ABC, CHUNKED, new Random(3), PersistentState.EMPTY);
    c.step(InstallSnapshot.whole(1, "a", "c", 3, 1, new byte[0]));
    Ready r = durable(c);
    assertThat(r.write().snapshot().data()).isEmpty();
    assertThat(r.messagesAfterWrite()).containsExactly(SnapshotResponse.installed(1, "c", "a", 3));
  }

  /** The leader of {@link #leaderWithSnapshotForC} under {@code options}, sending c its snapshot at 8. */
  private static RaftCore leaderSendingSnapshotToC(RaftOptions options) {
    RaftCore a = leaderWithSnapshot(options, 10, 8, STATE);
    a.tick();
    assertThat(chunksTo("c", a.ready())).isNotEmpty();
    commitAndSnapshot(a, 20, 18, new byte[] {18}); // the leader goes on while the transfer runs
    return a;
  }

  @Test
  void aLeaderKeepsTheEntriesAFollowerInstallingASnapshotWillNeed() {
    RaftCore a = leaderSendingSnapshotToC(CHUNKED);
    assertThat(a.snapshotIndex()).isEqualTo(18);
    assertThat(a.firstIndex()).as("entries after c's snapshot kept").isEqualTo(9);
    a.step(SnapshotResponse.installed(1, "c", "a", 8));
    Message next = a.ready().messages().stream().filter(m -> m.to().equals("c")).findFirst().orElseThrow();
    assertThat(next).as("c goes on from the log, not from the next snapshot").isInstanceOfSatisfying(
        AppendEntries.class, ae -> assertThat(ae.prevLogIndex()).isEqualTo(8));
    a.tick();
    a.ready();
    assertThat(a.firstIndex()).as("kept while c catches up").isEqualTo(9);
    a.step(AppendResponse.accepted(1, "c", "a", 20));
    a.tick();
    a.ready();
    assertThat(a.firstIndex()).as("dropped once c holds them").isEqualTo(19);
  }

  @Test
  void aFollowerThatDoesNotGainOnTheLeaderGetsTheNextSnapshotInstead() {
    RaftCore a = leaderSendingSnapshotToC(CHUNKED);
    a.step(SnapshotResponse.installed(1, "c", "a", 8)); // catching up; the leader's snapshot is at 18
    a.ready();
    a.step(AppendResponse.accepted(1, "c", "a", 12));
    commitAndSnapshot(a, 30, 28, new byte[] {28}); // c is still short of 18
    assertThat(a.firstIndex()).as("nothing kept for c any more").isEqualTo(29);
    a.tick();
    Message next = a.ready().messages().stream().filter(m -> m.to().equals("c")).findFirst().orElseThrow();
    assertThat(next).isInstanceOfSatisfying(InstallSnapshot.class, s -> assertThat(s.lastIncludedIndex()).isEqualTo(28));
  }

  @Test
  void withoutCatchUpEntriesOrBeyondTheirLimitTheFollowerNeedsTheNextSnapshot() {
    for (RaftOptions options : List.of(CHUNKED.toBuilder().snapshotCatchUpEntries(0).build(),
        CHUNKED.toBuilder().snapshotCatchUpEntries(9).build())) {
      RaftCore a = leaderSendingSnapshotToC(options);
      assertThat(a.firstIndex()).as("%s", options).isEqualTo(19);
      a.step(SnapshotResponse.installed(1, "c", "a", 8));
      Message next = a.ready().messages().stream().filter(m -> m.to().equals("c")).findFirst().orElseThrow();
      assertThat(next).isInstanceOfSatisfying(InstallSnapshot.class, s -> assertThat(s.lastIncludedIndex()).isEqualTo(18));
    }
  }

  @Test
  void aLeaderThatStepsDownKeepsNothingBehindItsSnapshot() {
    RaftCore a = leaderSendingSnapshotToC(CHUNKED);
    a.step(new AppendEntries(2, "b", "a", 20, 1, List.of(), 20, 0));
    assertThat(a.role()).isEqualTo(Role.FOLLOWER);
    assertThat(a.firstIndex()).isEqualTo(19);
  }

  @Test
  void restartKeepsTermVoteLogAndDeliversTheSnapshotFirst() {
    Snapshot s = new Snapshot(5, 2, new byte[] {1, 2});
    List<LogEntry> tail = List.of(LogEntry.command(6, 2, new byte[] {6}), LogEntry.command(7, 3, new byte[] {7}));
    RaftCore b = core("b", new PersistentState(new HardState(3, "c"), s, tail));
    assertThat(b.term()).isEqualTo(3);
    assertThat(b.votedFor()).isEqualTo("c");
    assertThat(b.lastIndex()).isEqualTo(7);
    assertThat(b.takeApply(10)).singleElement()
        .satisfies(ev -> assertThat(ev).isEqualTo(ev).isInstanceOf(ApplyEvent.SnapshotInstalled.class));
    b.step(new RequestVote(3, "a", "b", 100, 3));
    assertThat(answers(b.ready())).containsExactly(new VoteResponse(3, "b", "a", false));
  }

  @Test
  void staleLeaderLearnsTheNewTermFromARejection() {
    RaftCore b = core("b", new PersistentState(new HardState(5, null), null, List.of()));
    b.step(new AppendEntries(3, "a", "b", 0, 0, List.of(), 0));
    AppendResponse r = (AppendResponse) answers(b.ready()).get(0);
    assertThat(r.term()).isEqualTo(5);
    RaftCore a = core("a", PersistentState.EMPTY);
    elect(a);
    a.step(r);
    assertThat(a.role()).isEqualTo(Role.FOLLOWER);
    assertThat(a.term()).isEqualTo(5);
  }

  @Test
  void leaderCutOffFromAMajorityStepsDownAfterAnElectionTimeout() {
    RaftCore a = leaderA();
    for (int i = 0; i < OPTS.electionTicks() - 1; i++) {
      a.tick();
      a.step(AppendResponse.accepted(1, "b", "a", 0)); // b keeps answering
    }
    a.tick();
    assertThat(a.role()).as("b answered: a majority (a, b) is alive").isEqualTo(Role.LEADER);
    for (int i = 0; i < OPTS.electionTicks(); i++) {
      a.tick();
    }
    assertThat(a.role()).as("nobody answered for an election timeout").isEqualTo(Role.FOLLOWER);
    assertThat(a.term()).isEqualTo(1);
    assertThat(a.propose(List.of(new byte[] {1}))).isEqualTo(-1);
  }

  @Test
  void compactedEntriesBecomeUnreachable() throws InterruptedException {
    RaftCore a = new RaftCore("a", List.of("a"), OPTS, new Random(1), PersistentState.EMPTY);
    while (a.role() != Role.LEADER) {
      a.tick();
    }
    List<java.lang.ref.WeakReference<byte[]>> refs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      byte[] big = new byte[1 << 20];
      refs.add(new java.lang.ref.WeakReference<>(big));
      a.propose(List.of(big));
    }
    a.ready();
    a.persisted(a.lastWriteSeq());
    a.ready();
    assertThat(a.takeApply(100)).hasSize(20);
    a.snapshotTaken(20, new byte[] {1});
    a.ready();
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (refs.stream().anyMatch(r -> r.get() != null) && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(20);
    }
    assertThat(refs).as("entries up to the snapshot are garbage").allMatch(r -> r.get() == null);
  }

  @Test
  void preVoteRaisesNoTermUnlessAMajorityWouldElect() {
    RaftOptions pre = OPTS.toBuilder().preVote(true).build();
    RaftCore a = new RaftCore("a", ABC, pre, new Random(1), PersistentState.EMPTY);
    RaftCore b = new RaftCore("b", ABC, pre, new Random(2), PersistentState.EMPTY);
    for (int i = 0; i < 2 * pre.electionTicks() && a.votedFor() == null; i++) {
      a.tick();
    }
    Ready r = a.ready();
    assertThat(a.term()).as("a pre-vote changes no term").isZero();
    assertThat(r.write().hardState()).isNull();
    RequestVote ask = (RequestVote) r.messages().stream().filter(m -> m.to().equals("b")).findFirst().orElseThrow();
    assertThat(ask.preVote()).isTrue();
    assertThat(ask.term()).isEqualTo(1);
    // b hears from a live leader (term 0 has none here, so simulate one in term 0 via an append)
    b.step(new AppendEntries(0, "c", "b", 0, 0, List.of(), 0));
    b.ready();
    b.step(ask);
    VoteResponse no = (VoteResponse) b.ready().messages().get(0);
    assertThat(no.granted()).as("b follows a live leader").isFalse();
    assertThat(b.term()).isZero();
    // once b has not heard from its leader for an election timeout, it would vote
    for (int i = 0; i < pre.electionTicks(); i++) {
      b.tick();
      b.ready();
      if (b.role() != Role.FOLLOWER) {
        break;
      }
    }
    RaftCore c = new RaftCore("c", ABC, pre, new Random(3), PersistentState.EMPTY);
    c.step(new RequestVote(ask.term(), "a", "c", ask.lastLogIndex(), ask.lastLogTerm(), true));
    VoteResponse yes = (VoteResponse) c.ready().messages().get(0);
    assertThat(yes.granted()).isTrue();
    assertThat(yes.preVote()).isTrue();
    assertThat(c.term()).as("granting a pre-vote changes nothing").isZero();
    assertThat(c.votedFor()).isNull();
    a.step(yes);
    assertThat(a.role()).as("a majority would elect a: the real election starts").isEqualTo(Role.CANDIDATE);
    assertThat(a.term()).isEqualTo(1);
    assertThat(a.ready().messagesAfterWrite()).allMatch(m -> m instanceof RequestVote v && !v.preVote());
  }

  // ---------------------------------------------------------------- a member that lost acknowledged entries

  /** Leader a with entries 1..4 acknowledged by b (and c): match of b is 4. */
  private static RaftCore leaderWithFourAcknowledged() {
    RaftCore a = leaderA();
    a.step(AppendResponse.accepted(1, "b", "a", 0));
    a.step(AppendResponse.accepted(1, "c", "a", 0));
    a.propose(List.of(new byte[] {1}, new byte[] {2}, new byte[] {3}, new byte[] {4}));
    durable(a);
    a.step(AppendResponse.accepted(1, "b", "a", 4));
    a.step(AppendResponse.accepted(1, "c", "a", 4));
    assertThat(a.commitIndex()).isEqualTo(4);
    return a;
  }

  @Test
  void aLeaderReportsAFollowerWhoseLogEndsBelowWhatItAcknowledged() {
    RaftCore a = leaderWithFourAcknowledged();
    // b restarts from an older copy of its directory that ends at index 1: it rejects the heartbeats
    int reportedAtTick = -1;
    List<Outcome.FollowerLostEntries> reports = new ArrayList<>();
    long round = 0; // b answers each append it gets, echoing its read round
    for (int tick = 1; tick <= 30 && reports.isEmpty(); tick++) {
      a.tick();
      round = Math.max(round, roundSentTo(durable(a), "b"));
      a.step(AppendResponse.rejected(1, "b", "a", 4, 0, 2, round));
      a.step(AppendResponse.accepted(1, "c", "a", 4));
      Ready after = durable(a);
      round = Math.max(round, roundSentTo(after, "b"));
      List<Outcome.FollowerLostEntries> now = after.outcomes(Outcome.FollowerLostEntries.class);
      if (!now.isEmpty() && reportedAtTick < 0) {
        reportedAtTick = tick;
      }
      reports.addAll(now);
    }
    assertThat(reports).as("reported once").containsExactly(new Outcome.FollowerLostEntries("b", 4, 1, 1));
    assertThat(reportedAtTick).as("only after the evidence repeated over an election timeout")
        .isGreaterThanOrEqualTo(OPTS.electionTicks());
    // then it sends b the entries again, from b's end
    a.tick();
    List<AppendEntries> toB = durable(a).messages().stream()
        .filter(m -> m instanceof AppendEntries e && e.to().equals("b")).map(m -> (AppendEntries) m).toList();
    assertThat(toB).isNotEmpty();
    assertThat(toB.get(0).prevLogIndex()).isEqualTo(1);
    a.step(AppendResponse.accepted(1, "b", "a", 4));
    a.step(AppendResponse.accepted(1, "c", "a", 4));
    assertThat(a.commitIndex()).isEqualTo(4);
  }

  /** The highest read round of the appends {@code rd} sends to {@code to} (0 when none). */
  private static long roundSentTo(Ready rd, String to) {
    long round = 0;
    for (Message m : answers(rd)) {
      if (m instanceof AppendEntries e && e.to().equals(to)) {
        round = Math.max(round, e.readRound());
      }
    }
    return round;
  }

  @Test
  void oldRejectionsDuplicatedAndLateAreNotEvidence() {
    RaftCore a = leaderWithFourAcknowledged();
    List<Outcome.FollowerLostEntries> reports = new ArrayList<>();
    for (int tick = 1; tick <= 40; tick++) {
      a.tick();
      durable(a);
      // the same old rejection (round 0, sent before b held entry 4), delivered again and again
      a.step(AppendResponse.rejected(1, "b", "a", 4, 0, 2, 0));
      a.step(AppendResponse.accepted(1, "c", "a", 4));
      reports.addAll(durable(a).outcomes(Outcome.FollowerLostEntries.class));
    }
    assertThat(reports).isEmpty();
  }

  @Test
  void anOldRejectionOvertakenByASuccessReportsNothing() {
    RaftCore a = leaderWithFourAcknowledged();
    List<Outcome.FollowerLostEntries> reports = new ArrayList<>();
    for (int tick = 1; tick <= 30; tick++) {
      a.tick();
      durable(a);
      if (tick % 3 == 0) {
        // an answer to an append sent before b held entry 4 arrives late (a reordering network)
        a.step(AppendResponse.rejected(1, "b", "a", 4, 0, 4));
        a.step(AppendResponse.rejected(1, "b", "a", 4, 0, 3));
      }
      a.step(AppendResponse.accepted(1, "b", "a", 4));
      a.step(AppendResponse.accepted(1, "c", "a", 4));
      reports.addAll(durable(a).outcomes(Outcome.FollowerLostEntries.class));
    }
    assertThat(reports).isEmpty();
  }

  @Test
  void aFollowerReportsALeaderInsistingOnEntriesItsLogLacks() {
    RaftCore b = core("b", PersistentState.EMPTY);
    int reportedAtTick = -1;
    List<Outcome.LogBehindLeader> reports = new ArrayList<>();
    for (int tick = 1; tick <= 30; tick++) {
      b.tick();
      // a leader holding b's acknowledgement of 4 entries never sends from below 5
      b.step(new AppendEntries(1, "a", "b", 4, 1, List.of(), 4, 0));
      List<Outcome.LogBehindLeader> now = durable(b).outcomes(Outcome.LogBehindLeader.class);
      if (!now.isEmpty() && reportedAtTick < 0) {
        reportedAtTick = tick;
      }
      reports.addAll(now);
    }
    assertThat(b.role()).isEqualTo(Role.FOLLOWER);
    assertThat(reports).as("reported once").containsExactly(new Outcome.LogBehindLeader("a", 4, 0, 1));
    assertThat(reportedAtTick).isGreaterThanOrEqualTo(OPTS.electionTicks());
  }

  @Test
  void aFollowerThatALeaderBacksDownToReportsNothing() {
    RaftCore b = core("b", PersistentState.EMPTY);
    List<Outcome.LogBehindLeader> reports = new ArrayList<>();
    for (int tick = 1; tick <= 30; tick++) {
      b.tick();
      // a lagging follower: the leader probes high once, then sends from b's hint; b appends
      long last = b.lastIndex();
      b.step(new AppendEntries(1, "a", "b", last + 3, 1, List.of(), 0, 0));
      b.step(new AppendEntries(1, "a", "b", last, last == 0 ? 0 : 1,
          List.of(LogEntry.command(last + 1, 1, new byte[] {1})), 0, 0));
      reports.addAll(durable(b).outcomes(Outcome.LogBehindLeader.class));
    }
    assertThat(b.lastIndex()).isEqualTo(30);
    assertThat(reports).isEmpty();
  }
}

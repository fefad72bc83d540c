package dev.raftflow.engine.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.AppendResponse;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.message.VoteResponse;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The core's side of the driver contract: what it checks and enforces so that no driver can get it wrong. */
class DriverContractTest {

  private static final List<String> ABC = List.of("a", "b", "c");
  private static final RaftOptions OPTS = RaftOptions.builder()
      .heartbeatTicks(1).electionTicks(10).leaderNoop(false).preVote(false).build();

  private static RaftCore follower(String id) {
    return new RaftCore(id, ABC, OPTS, new Random(1), new PersistentState(new HardState(1, null), null, List.of()));
  }

  @Test
  void stepRefusesWhatIsNotForThisMemberAndAnswersFromStrangers() {
    RaftCore b = follower("b");
    assertThat(b.step(new AppendEntries(1, "a", "c", 0, 0, List.of(), 0))).as("addressed to c").isFalse();
    assertThat(b.step(new RequestVote(2, "b", "b", 0, 0))).as("from itself").isFalse();
    assertThat(b.step(new VoteResponse(1, "x", "b", true))).as("an answer from a stranger").isFalse();
    assertThat(b.messagesRefused()).isEqualTo(3);
    assertThat(b.term()).as("nothing changed").isEqualTo(1);
    assertThat(b.step(new RequestVote(2, "x", "b", 0, 0))).as("a request from a stranger (thesis 4.1)").isTrue();
    assertThat(b.term()).isEqualTo(2);
  }

  @Test
  void aWriteLessReadyHasNoAfterWriteMessagesTheyWaitForTheWritesPending() {
    RaftCore b = follower("b");
    b.step(new AppendEntries(1, "a", "b", 0, 0, List.of(LogEntry.command(1, 1, new byte[] {1})), 0));
    Ready first = b.ready();
    assertThat(first.write().seq()).isEqualTo(1);
    assertThat(first.messagesAfterWrite()).singleElement().isInstanceOf(AppendResponse.class);
    b.step(new AppendEntries(1, "a", "b", 5, 1, List.of(), 0)); // does not fit: the rejection tells of a log holding entry 1
    Ready second = b.ready();
    assertThat(second.write().isEmpty()).isTrue();
    assertThat(second.messages()).as("held until entry 1 is durable").isEmpty();
    assertThat(second.messagesAfterWrite()).isEmpty();
    b.persisted(first.write().seq());
    assertThat(b.ready().messages()).singleElement()
        .satisfies(m -> assertThat(((AppendResponse) m).success()).isFalse())
        .satisfies(m -> assertThat(((AppendResponse) m).rejectedIndex()).isEqualTo(5));
  }

  /**
   * A heartbeat promises nothing new: it is answered in the same Ready, with the durable prefix of
   * what it matched, not behind the pending write (a follower with a slow disk still tells its
   * leader it follows, and echoes the read round).
   */
  @Test
  void aHeartbeatIsAnsweredAtOnceWithWhatIsDurable() {
    RaftCore b = follower("b");
    b.step(new AppendEntries(1, "a", "b", 0, 0, List.of(LogEntry.command(1, 1, new byte[] {1})), 0));
    Ready first = b.ready();
    b.step(new AppendEntries(1, "a", "b", 1, 1, List.of(), 0, 7)); // a heartbeat matching entry 1, not durable yet
    Ready second = b.ready();
    assertThat(second.write().isEmpty()).isTrue();
    assertThat(second.messages()).as("answered at once").singleElement().isInstanceOfSatisfying(AppendResponse.class, r -> {
      assertThat(r.success()).isTrue();
      assertThat(r.matchIndex()).as("only what is durable").isZero();
      assertThat(r.readRound()).isEqualTo(7);
    });
    assertThat(first.messagesAfterWrite()).as("the append's own answer leaves once entry 1 is durable").singleElement()
        .satisfies(m -> assertThat(((AppendResponse) m).matchIndex()).isEqualTo(1));
    b.persisted(first.write().seq());
    assertThat(b.ready().messages()).as("nothing was held").isEmpty();
    b.step(new AppendEntries(1, "a", "b", 1, 1, List.of(), 1, 8));
    assertThat(b.ready().messages()).singleElement()
        .satisfies(m -> assertThat(((AppendResponse) m).matchIndex()).isEqualTo(1));
  }

  @Test
  void persistedRefusesAWriteNeverHandedOutAndIgnoresOneAcknowledgedTwice() {
    RaftCore b = follower("b");
    assertThatThrownBy(() -> b.persisted(1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no such write");
    b.step(new AppendEntries(1, "a", "b", 0, 0, List.of(LogEntry.command(1, 1, new byte[] {1})), 0));
    long seq = b.ready().write().seq();
    b.persisted(seq);
    b.persisted(seq);
    assertThat(b.durableIndex()).isEqualTo(1);
    assertThat(b.oldestUnpersistedWrite()).isZero();
  }

  @Test
  void aWriteNeverReportedDurableIsReportedStalledOnce() {
    RaftCore a = new RaftCore("a", List.of("a"), OPTS, new Random(1), PersistentState.EMPTY);
    while (a.role() != Role.LEADER) {
      a.tick();
    }
    a.propose(List.of(new byte[] {1}));
    Ready r = a.ready(); // the driver forgets persisted(): a lone leader never commits
    assertThat(r.write().entries()).hasSize(1);
    int stalls = 0;
    for (int i = 0; i < 25 * OPTS.electionTicks(); i++) {
      a.tick();
      stalls += a.ready().outcomes(Outcome.WriteStalled.class).size();
    }
    assertThat(stalls).isEqualTo(1);
    assertThat(a.commitIndex()).isZero();
    a.persisted(a.lastWriteSeq());
    assertThat(a.commitIndex()).as("once told, it commits").isEqualTo(1);
  }

  @Test
  void aServiceThatKeptItsStateIsNotHandedTheSnapshotAgain() {
    PersistentState restored = new PersistentState(new HardState(2, "a"), new Snapshot(5, 1, new byte[] {5}),
        List.of(LogEntry.command(6, 2, new byte[] {6}), LogEntry.command(7, 2, new byte[] {7})));
    RaftCore fresh = new RaftCore("b", ABC, OPTS, new Random(1), restored);
    assertThat(fresh.takeApply(10)).singleElement().isInstanceOf(ApplyEvent.SnapshotInstalled.class);
    RaftCore kept = new RaftCore("b", ABC, OPTS, new Random(1), restored, 6);
    assertThat(kept.hasApply()).as("applied up to 6 already, nothing committed past it yet").isFalse();
    assertThat(kept.appliedIndex()).isEqualTo(6);
    assertThatThrownBy(() -> new RaftCore("b", ABC, OPTS, new Random(1), restored, 8))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the log");
  }
}

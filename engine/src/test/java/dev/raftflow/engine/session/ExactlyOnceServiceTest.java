package dev.raftflow.engine.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.OutcomeUnknownException;
import dev.raftflow.engine.node.RaftNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The exactly-once layer on a real three-member group: a command whose answer is lost, or whose
 * leader is cut off after appending it, is retried with the same (session, seq) on the next leader
 * and applied once on every member, every try getting the same answer; the table survives a restart
 * from snapshots; expiry is decided the same way on every member.
 */
class ExactlyOnceServiceTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aCommandWhoseAnswerWasLostIsAnsweredAgainByTheNextLeaderWithoutApplyingItTwice() {
    try (SessionGroup g = new SessionGroup(SessionSettings.defaults())) {
      String leader = g.awaitLeader(null);
      LocalSession session = g.services.get(leader).openSession().block(WAIT);
      byte[] first = session.submit(b("inc-1")).block(WAIT); // the client never sees this answer
      assertThat(CountingMachine.decode(first)).isEqualTo(1);

      g.net.isolate(leader);
      String next = g.awaitLeader(leader);
      byte[] retried = g.services.get(next).submit(session.id(), 1, 1, b("inc-1")).block(WAIT);
      assertThat(retried).as("the retry's answer is the first one").isEqualTo(first);
      byte[] second = g.services.get(next).submit(session.id(), 2, 2, b("inc-2")).block(WAIT);
      assertThat(CountingMachine.decode(second)).isEqualTo(2);

      g.net.reconnect(leader);
      g.awaitApplied(g.services.get(next).appliedIndex());
      for (String id : SessionGroup.IDS) {
        assertThat(g.machines.get(id).appliedTimes("inc-1")).as(id + " applied inc-1").isEqualTo(1);
        assertThat(g.machines.get(id).value()).as(id + "'s counter").isEqualTo(2);
      }
    }
  }

  @Test
  void aCommandAppendedByALeaderThatIsCutOffIsAppliedOnceWhenRetriedOnTheNextLeader() {
    try (SessionGroup g = new SessionGroup(SessionSettings.defaults())) {
      String leader = g.awaitLeader(null);
      LocalSession session = g.services.get(leader).openSession().block(WAIT);
      assertThat(session.submit(b("warm-up")).block(WAIT)).isNotNull();

      // the leader still sends (the entry reaches the followers) but hears nothing: no commit, then CheckQuorum
      g.transports.get(leader).deaf = true;
      assertThatThrownBy(() -> g.services.get(leader).submit(session.id(), 2, 2, b("cut-off")).block(WAIT))
          .isInstanceOf(OutcomeUnknownException.class);
      String next = g.awaitLeader(leader);
      byte[] retried = g.services.get(next).submit(session.id(), 2, 2, b("cut-off")).block(WAIT);
      assertThat(CountingMachine.decode(retried)).isEqualTo(2);
      byte[] again = g.services.get(next).submit(session.id(), 2, 2, b("cut-off")).block(WAIT);
      assertThat(again).as("a second retry, same answer").isEqualTo(retried);

      g.transports.get(leader).deaf = false;
      g.awaitApplied(g.services.get(next).appliedIndex());
      for (String id : SessionGroup.IDS) {
        assertThat(g.machines.get(id).appliedTimes("cut-off")).as(id + " applied the cut-off command").isEqualTo(1);
        assertThat(g.machines.get(id).value()).isEqualTo(2);
      }
      assertThat(g.verdicts.get("a")).as("every member reached the same verdicts")
          .isEqualTo(g.verdicts.get("b")).isEqualTo(g.verdicts.get("c"));
    }
  }

  @Test
  void aDuplicateIsStillDetectedAfterEveryMemberRestartsFromItsSnapshot() {
    try (SessionGroup g = new SessionGroup(SessionSettings.defaults().withSnapshotEvery(4))) {
      String leader = g.awaitLeader(null);
      LocalSession session = g.services.get(leader).openSession().block(WAIT);
      byte[] first = session.submit(b("c-1")).block(WAIT);
      for (int i = 2; i <= 10; i++) {
        session.submit(b("c-" + i)).block(WAIT);
      }
      g.awaitApplied(g.services.get(leader).appliedIndex());
      for (String id : SessionGroup.IDS) {
        g.stop(id);
      }
      for (String id : SessionGroup.IDS) {
        g.start(id);
      }
      String now = g.awaitLeader(null);
      SessionGroup.await(() -> g.machines.values().stream().allMatch(m -> m.value() == 10), "every member back at 10");
      for (String id : SessionGroup.IDS) {
        assertThat(g.machines.get(id).restores.get()).as(id + " started from its snapshot").isEqualTo(1);
        assertThat(g.machines.get(id).value()).as(id + "'s counter after the restart").isEqualTo(10);
      }
      // the answers of 1..9 were acknowledged (so forgotten); the last one's was not
      byte[] tenth = g.services.get(now).submit(session.id(), 10, 10, b("c-10")).block(WAIT);
      assertThat(CountingMachine.decode(tenth)).isEqualTo(10);
      assertThatThrownBy(() -> g.services.get(now).submit(session.id(), 1, 1, b("c-1")).block(WAIT))
          .isInstanceOfSatisfying(SessionRefusedException.class,
              e -> assertThat(e.reason()).isEqualTo(SessionTable.Reason.ANSWER_FORGOTTEN));
      g.awaitApplied(g.services.get(now).appliedIndex());
      for (String id : SessionGroup.IDS) {
        assertThat(g.machines.get(id).value()).as(id + ": no retry applied again").isEqualTo(10);
      }
      assertThat(CountingMachine.decode(first)).isEqualTo(1);
    }
  }

  @Test
  void sessionsExpireByTheLogClockAtTheSameEntryOnEveryMember() {
    SessionSettings settings = SessionSettings.defaults().withSessionTimeout(Duration.ofSeconds(5));
    try (SessionGroup g = new SessionGroup(settings)) {
      // members' clocks disagree by minutes: only the stamping leader's counts
      g.clocks.get("b").addAndGet(120_000);
      g.clocks.get("c").addAndGet(-120_000);
      String leader = g.awaitLeader(null);
      ExactlyOnceService s = g.services.get(leader);
      LocalSession idle = s.openSession().block(WAIT);
      LocalSession busy = s.openSession().block(WAIT);
      idle.submit(b("idle-1")).block(WAIT);
      g.clocks.get(leader).addAndGet(4_000);
      busy.submit(b("busy-1")).block(WAIT);
      g.clocks.get(leader).addAndGet(2_000); // idle has been silent 6 s of log time, busy 2 s
      busy.submit(b("busy-2")).block(WAIT);
      assertThat(s.openSessions()).isEqualTo(1);
      assertThatThrownBy(() -> idle.submit(b("idle-2")).block(WAIT))
          .isInstanceOfSatisfying(SessionRefusedException.class,
              e -> assertThat(e.reason()).isEqualTo(SessionTable.Reason.UNKNOWN_SESSION));
      assertThat(busy.submit(b("busy-3")).block(WAIT)).isNotNull();

      g.awaitApplied(g.services.get(leader).appliedIndex());
      List<String> verdicts = g.verdicts.get(leader);
      assertThat(verdicts).anyMatch(v -> v.contains("Refused") && v.contains("UNKNOWN_SESSION"));
      for (String id : SessionGroup.IDS) {
        assertThat(g.verdicts.get(id)).as(id + "'s verdicts").isEqualTo(verdicts);
        assertThat(g.services.get(id).openSessions()).isEqualTo(1);
        assertThat(g.machines.get(id).appliedTimes("idle-2")).isZero();
      }
    }
  }

  @Test
  void commandsOutsideASessionAreAppliedEachTimeAndRawEntriesAreSkippedOnEveryMember() {
    try (SessionGroup g = new SessionGroup(SessionSettings.defaults())) {
      String leader = g.awaitLeader(null);
      ExactlyOnceService s = g.services.get(leader);
      assertThat(CountingMachine.decode(s.submitUnsessioned(b("plain")).block(WAIT))).isEqualTo(1);
      assertThat(CountingMachine.decode(s.submitUnsessioned(b("plain")).block(WAIT))).isEqualTo(2);
      RaftNode n = g.nodes.get(leader);
      long raw = n.submit(b("not an envelope")).block(WAIT).index();
      g.awaitApplied(raw);
      for (String id : SessionGroup.IDS) {
        assertThat(g.machines.get(id).appliedTimes("plain")).isEqualTo(2);
        assertThat(g.services.get(id).foreignEntries()).isEqualTo(1);
        assertThat(g.machines.get(id).value()).isEqualTo(2);
      }
      assertThat(s.waiting()).as("no caller left waiting").isZero();
    }
  }

  @Test
  void aSessionOverItsBoundOfUnacknowledgedAnswersIsRefusedAndRetryingTheSameCommandIsSafe() {
    try (SessionGroup g = new SessionGroup(SessionSettings.defaults().withMaxUnacknowledgedAnswers(2))) {
      String leader = g.awaitLeader(null);
      ExactlyOnceService s = g.services.get(leader);
      long session = s.register().block(WAIT);
      s.submit(session, 1, 1, b("one")).block(WAIT);
      s.submit(session, 2, 1, b("two")).block(WAIT); // the client acknowledges nothing
      assertThatThrownBy(() -> s.submit(session, 3, 1, b("three")).block(WAIT))
          .isInstanceOfSatisfying(SessionRefusedException.class,
              e -> assertThat(e.reason()).isEqualTo(SessionTable.Reason.TOO_MANY_UNACKNOWLEDGED));
      byte[] three = s.submit(session, 3, 3, b("three")).block(WAIT); // now it has 1 and 2
      assertThat(CountingMachine.decode(three)).isEqualTo(3);

      // the local handle: re-subscribing its Mono sends the same (session, seq)
      LocalSession local = s.openSession().block(WAIT);
      var once = local.submit(b("handle"));
      byte[] a1 = once.block(WAIT);
      byte[] a2 = once.block(WAIT);
      assertThat(a2).isEqualTo(a1);
      assertThat(g.machines.get(leader).appliedTimes("handle")).isEqualTo(1);
    }
  }
}

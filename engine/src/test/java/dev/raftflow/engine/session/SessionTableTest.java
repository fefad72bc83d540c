package dev.raftflow.engine.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.codec.MalformedMessageException;
import dev.raftflow.engine.session.SessionTable.Reason;
import dev.raftflow.engine.session.SessionTable.Verdict;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SessionTableTest {

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aRetriedCommandGetsItsFirstAnswerAndIsNotAppliedAgain() {
    SessionTable t = new SessionTable(10_000, 100);
    assertThat(t.apply(5, SessionCommand.register(1000))).isEqualTo(new Verdict.Registered(5));
    assertThat(t.apply(6, SessionCommand.command(1001, 5, 1, 1, b("x")))).isEqualTo(new Verdict.Apply(5, 1));
    Verdict early = t.apply(7, SessionCommand.command(1002, 5, 1, 1, b("x")));
    assertThat(early).as("retried before the answer is recorded: still not applied again")
        .isEqualTo(new Verdict.Duplicate(5, 1, null));
    t.answered(5, 1, b("ok-1"));
    Verdict late = t.apply(8, SessionCommand.command(1003, 5, 1, 1, b("x")));
    assertThat(late).isInstanceOf(Verdict.Duplicate.class);
    assertThat(((Verdict.Duplicate) late).answer()).isEqualTo(b("ok-1"));
    assertThat(t.apply(9, SessionCommand.command(1004, 5, 2, 1, b("y")))).isEqualTo(new Verdict.Apply(5, 2));
  }

  @Test
  void answersTheClientAcknowledgedAreForgottenAndTheirRetriesRefused() {
    SessionTable t = new SessionTable(10_000, 100);
    t.apply(1, SessionCommand.register(0));
    for (int seq = 1; seq <= 3; seq++) {
      t.apply(1 + seq, SessionCommand.command(seq, 1, seq, 1, b("c")));
      t.answered(1, seq, b("a" + seq));
    }
    t.apply(5, SessionCommand.command(10, 1, 4, 3, b("c"))); // the client has the answers of 1 and 2
    assertThat(t.apply(6, SessionCommand.command(11, 1, 2, 2, b("c")))) // a late copy of an old try
        .isEqualTo(new Verdict.Refused(1, 2, Reason.ANSWER_FORGOTTEN));
    Verdict three = t.apply(7, SessionCommand.command(12, 1, 3, 3, b("c")));
    assertThat(((Verdict.Duplicate) three).answer()).isEqualTo(b("a3"));
  }

  @Test
  void sessionsExpireByLogTimeTheSameWayOnEveryMember() {
    List<SessionCommand> log = new ArrayList<>();
    log.add(SessionCommand.register(0));               // session 1
    log.add(SessionCommand.register(100));             // session 2
    log.add(SessionCommand.command(4_000, 2, 1, 1, b("keeps 2 alive")));
    log.add(SessionCommand.command(5_050, 2, 2, 1, b("1 is now idle 5,050 ms")));
    log.add(SessionCommand.command(5_060, 1, 1, 1, b("too late for 1")));
    List<Verdict> first = replay(log);
    List<Verdict> second = replay(log);
    assertThat(first).isEqualTo(second);
    assertThat(first.get(4)).isEqualTo(new Verdict.Refused(1, 1, Reason.UNKNOWN_SESSION));
    assertThat(first.get(3)).isEqualTo(new Verdict.Apply(2, 2));
  }

  private static List<Verdict> replay(List<SessionCommand> log) {
    SessionTable t = new SessionTable(5_000, 100);
    List<Verdict> out = new ArrayList<>();
    for (int i = 0; i < log.size(); i++) {
      out.add(t.apply(i + 1, log.get(i)));
    }
    return out;
  }

  @Test
  void theLogClockNeverGoesBackward() {
    SessionTable t = new SessionTable(1_000, 10);
    t.apply(1, SessionCommand.register(5_000));
    t.apply(2, SessionCommand.register(3_000)); // a new leader whose clock is behind
    assertThat(t.now()).isEqualTo(5_000);
    t.apply(3, SessionCommand.command(5_900, 2, 1, 1, b("c")));
    t.apply(4, SessionCommand.command(6_200, 2, 2, 1, b("c")));
    assertThat(t.isOpen(1)).as("idle 1,200 ms of log time").isFalse();
    assertThat(t.isOpen(2)).isTrue();
  }

  @Test
  void aSessionHoldsAtMostMaxAnswersUnacknowledged() {
    SessionTable t = new SessionTable(10_000, 2);
    t.apply(1, SessionCommand.register(0));
    t.apply(2, SessionCommand.command(1, 1, 1, 1, b("c")));
    t.apply(3, SessionCommand.command(2, 1, 2, 1, b("c")));
    assertThat(t.apply(4, SessionCommand.command(3, 1, 3, 1, b("c"))))
        .isEqualTo(new Verdict.Refused(1, 3, Reason.TOO_MANY_UNACKNOWLEDGED));
    assertThat(t.apply(5, SessionCommand.command(4, 1, 3, 2, b("c")))).as("after acknowledging one")
        .isEqualTo(new Verdict.Apply(1, 3));
  }

  @Test
  void closingEndsASessionAndUnknownSessionsAreRefused() {
    SessionTable t = new SessionTable(10_000, 10);
    t.apply(1, SessionCommand.register(0));
    assertThat(t.apply(2, SessionCommand.close(1, 1))).isEqualTo(new Verdict.Closed(1));
    assertThat(t.apply(3, SessionCommand.command(2, 1, 1, 1, b("c"))))
        .isEqualTo(new Verdict.Refused(1, 1, Reason.UNKNOWN_SESSION));
    assertThat(t.apply(4, SessionCommand.close(3, 9))).isEqualTo(new Verdict.Refused(9, 0, Reason.UNKNOWN_SESSION));
  }

  @Test
  void aTableRestoredFromItsSnapshotDecidesAsTheOriginal() {
    Random r = new Random(42);
    SessionTable original = new SessionTable(2_000, 8);
    List<SessionCommand> tail = new ArrayList<>();
    long time = 0;
    long index = 0;
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      time += r.nextInt(200);
      SessionCommand c;
      if (ids.isEmpty() || r.nextInt(10) == 0) {
        c = SessionCommand.register(time);
      } else {
        long s = ids.get(r.nextInt(ids.size()));
        long seq = 1 + r.nextInt(12);
        c = SessionCommand.command(time, s, seq, Math.max(1, seq - r.nextInt(4)), b("v" + i));
      }
      index++;
      Verdict v = original.apply(index, c);
      if (v instanceof Verdict.Registered reg) {
        ids.add(reg.session());
      } else if (v instanceof Verdict.Apply a && r.nextBoolean()) {
        original.answered(a.session(), a.seq(), b("answer " + index));
      }
      if (i >= 300) {
        tail.add(c);
      }
    }
    SessionTable restored = SessionTable.decode(original.encode());
    assertThat(restored.encode()).isEqualTo(original.encode());
    SessionTable again = SessionTable.decode(original.encode());
    for (SessionCommand c : tail) {
      index++;
      Verdict a = original.apply(index, c.at(c.time() + 10_000));
      Verdict b = again.apply(index, c.at(c.time() + 10_000));
      assertThat(b).usingRecursiveComparison().isEqualTo(a);
    }
  }

  @Test
  void damagedInputIsRefusedWithAClearError() {
    assertThatThrownBy(() -> SessionTable.decode(new byte[] {7})).isInstanceOf(MalformedMessageException.class);
    byte[] good = new SessionTable(1, 1).encode();
    byte[] cut = java.util.Arrays.copyOf(good, good.length - 1);
    assertThatThrownBy(() -> SessionTable.decode(cut)).isInstanceOf(MalformedMessageException.class);
    assertThatThrownBy(() -> SessionCommand.decode(new byte[] {1, 9, 0})).isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("kind 9");
    assertThatThrownBy(() -> SessionCommand.decode(new byte[] {2, 0, 0})).hasMessageContaining("format 2");
    assertThatThrownBy(() -> SessionCommand.command(1, 0, 1, 1, null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sessionEntriesRoundTrip() {
    for (SessionCommand c : List.of(SessionCommand.register(123), SessionCommand.close(9, 77),
        SessionCommand.command(Long.MAX_VALUE, 5, 300, 250, b("payload")), SessionCommand.command(0, 1, 1, 1, null))) {
      assertThat(SessionCommand.decode(c.encode())).isEqualTo(c);
    }
  }
}

package dev.raftflow.engine.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.lab.KvHistory.Kind;
import dev.raftflow.engine.lab.KvHistory.Op;
import org.junit.jupiter.api.Test;

/** The linearizability checker itself, on histories whose answer is known. */
class KvHistoryTest {

  private static final long NEVER = Long.MAX_VALUE;

  @Test
  void aReadThatMissesACompletedWriteIsNotLinearizable() {
    KvHistory h = new KvHistory();
    h.add(new Op(0, Kind.PUT, "k", "1", null, 0, 10));
    h.add(new Op(1, Kind.GET, "k", null, "", 20, 30)); // stale: the put had returned
    assertThat(h.check()).contains("key k is not linearizable");
  }

  @Test
  void overlappingOperationsMayTakeEffectInEitherOrder() {
    KvHistory h = new KvHistory();
    h.add(new Op(0, Kind.APPEND, "k", "a", null, 0, 50));
    h.add(new Op(1, Kind.APPEND, "k", "b", null, 10, 40));
    h.add(new Op(2, Kind.GET, "k", null, "ba", 60, 70));
    h.add(new Op(3, Kind.GET, "j", null, "", 0, 5)); // another key, checked on its own
    assertThat(h.check()).isNull();
  }

  @Test
  void aWriteWithUnknownOutcomeMayOrMayNotHaveHappened() {
    KvHistory took = new KvHistory();
    took.add(new Op(0, Kind.APPEND, "k", "x", null, 0, NEVER));
    took.add(new Op(1, Kind.GET, "k", null, "x", 100, 110));
    assertThat(took.check()).isNull();
    KvHistory didNot = new KvHistory();
    didNot.add(new Op(0, Kind.APPEND, "k", "x", null, 0, NEVER));
    didNot.add(new Op(1, Kind.GET, "k", null, "", 100, 110));
    assertThat(didNot.check()).isNull();
    KvHistory wrong = new KvHistory();
    wrong.add(new Op(0, Kind.APPEND, "k", "x", null, 50, NEVER));
    wrong.add(new Op(1, Kind.GET, "k", null, "x", 0, 10)); // read before the write was even called
    assertThat(wrong.check()).isNotNull();
  }

  @Test
  void readsMustAgreeOnOneOrder() {
    KvHistory h = new KvHistory();
    h.add(new Op(0, Kind.APPEND, "k", "a", null, 0, 100));
    h.add(new Op(1, Kind.APPEND, "k", "b", null, 0, 100));
    h.add(new Op(2, Kind.GET, "k", null, "ab", 110, 120));
    h.add(new Op(3, Kind.GET, "k", null, "ba", 130, 140)); // contradicts the read before it
    assertThat(h.check()).isNotNull();
  }
}

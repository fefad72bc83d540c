package dev.raftflow.examples.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class KvStateMachineTest {

  private final KvStateMachine kv = new KvStateMachine();
  private long index;

  private KvAnswer apply(KvCommand c) {
    return KvAnswer.decode(kv.apply(++index, c.encode()));
  }

  private static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  @Test
  void putAnswersThePreviousValueAndDeleteRemoves() {
    assertThat(apply(new KvCommand.Put("k", b("1")))).isEqualTo(KvAnswer.applied(null));
    assertThat(apply(new KvCommand.Put("k", b("2")))).isEqualTo(KvAnswer.applied(b("1")));
    assertThat(kv.get("k")).isEqualTo(b("2"));
    assertThat(apply(new KvCommand.Delete("k"))).isEqualTo(KvAnswer.applied(b("2")));
    assertThat(kv.get("k")).isNull();
    assertThat(apply(new KvCommand.Delete("k"))).isEqualTo(KvAnswer.applied(null));
  }

  @Test
  void casSwapsOnlyWhenTheExpectationHolds() {
    assertThat(apply(new KvCommand.Cas("k", b("x"), b("1")))).isEqualTo(KvAnswer.notApplied(null));
    assertThat(kv.get("k")).isNull();
    assertThat(apply(new KvCommand.Cas("k", null, b("1")))).isEqualTo(KvAnswer.applied(null));
    assertThat(apply(new KvCommand.Cas("k", null, b("2")))).isEqualTo(KvAnswer.notApplied(b("1")));
    assertThat(apply(new KvCommand.Cas("k", b("2"), b("3")))).isEqualTo(KvAnswer.notApplied(b("1")));
    assertThat(kv.get("k")).isEqualTo(b("1"));
    assertThat(apply(new KvCommand.Cas("k", b("1"), b("3")))).isEqualTo(KvAnswer.applied(b("1")));
    assertThat(kv.get("k")).isEqualTo(b("3"));
    // an empty value is a value, not absence
    apply(new KvCommand.Put("e", new byte[0]));
    assertThat(apply(new KvCommand.Cas("e", null, b("z"))).status()).isEqualTo(KvAnswer.Status.NOT_APPLIED);
    assertThat(apply(new KvCommand.Cas("e", new byte[0], b("z"))).status()).isEqualTo(KvAnswer.Status.APPLIED);
  }

  @Test
  void aMalformedCommandIsRejectedAndChangesNothing() {
    apply(new KvCommand.Put("k", b("1")));
    byte[] snapshot = kv.snapshot();
    KvAnswer a = KvAnswer.decode(kv.apply(99, new byte[] {1, 77}));
    assertThat(a.status()).isEqualTo(KvAnswer.Status.REJECTED);
    assertThat(a.message()).contains("index 99");
    assertThat(kv.snapshot()).isEqualTo(snapshot);
  }

  @Test
  void rangeReturnsKeysInOrderWithinHalfOpenBoundsUpToTheLimit() {
    for (String k : List.of("d", "a", "c", "b", "e")) {
      apply(new KvCommand.Put(k, b(k.toUpperCase())));
    }
    assertThat(keys(kv.range(null, null, 100))).containsExactly("a", "b", "c", "d", "e");
    assertThat(keys(kv.range("b", "d", 100))).containsExactly("b", "c");
    assertThat(keys(kv.range("bb", null, 2))).containsExactly("c", "d");
    assertThat(kv.range("d", "b", 10)).isEmpty();
    assertThat(kv.range("a", "b", 10).get(0)).isEqualTo(new KvEntry("a", b("A")));
    assertThatThrownBy(() -> kv.range(null, null, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> kv.range(null, null, KvStateMachine.MAX_RANGE_LIMIT + 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static List<String> keys(List<KvEntry> entries) {
    return entries.stream().map(KvEntry::key).toList();
  }

  @Test
  void aRestoredSnapshotHoldsTheSameMap() {
    apply(new KvCommand.Put("", new byte[0]));
    apply(new KvCommand.Put("ключ", new byte[] {0, 1, 2}));
    for (int i = 0; i < 200; i++) {
      apply(new KvCommand.Put("k" + i, b("v" + i)));
    }
    apply(new KvCommand.Delete("k7"));
    KvStateMachine copy = new KvStateMachine();
    copy.apply(1, new KvCommand.Put("stale", b("x")).encode());
    copy.restore(kv.snapshot());
    assertThat(copy.range(null, null, 10_000)).isEqualTo(kv.range(null, null, 10_000));
    assertThat(copy.size()).isEqualTo(201);
    assertThat(copy.get("stale")).isNull();
    assertThat(copy.snapshot()).isEqualTo(kv.snapshot());
    KvStateMachine empty = new KvStateMachine();
    copy.restore(empty.snapshot());
    assertThat(copy.size()).isZero();
    copy.restore(new byte[0]);
    assertThat(copy.size()).isZero();
  }

  @Test
  void aMalformedSnapshotIsRefusedAndLeavesTheMapAsItWas() {
    apply(new KvCommand.Put("k", b("1")));
    byte[] good = kv.snapshot();
    KvStateMachine other = new KvStateMachine();
    other.apply(1, new KvCommand.Put("mine", b("m")).encode());
    assertThatThrownBy(() -> other.restore(Arrays.copyOf(good, good.length - 1)))
        .isInstanceOf(MalformedKvDataException.class);
    byte[] badVersion = good.clone();
    badVersion[0] = 5;
    assertThatThrownBy(() -> other.restore(badVersion)).hasMessageContaining("version 5");
    assertThat(other.get("mine")).isEqualTo(b("m"));
  }
}

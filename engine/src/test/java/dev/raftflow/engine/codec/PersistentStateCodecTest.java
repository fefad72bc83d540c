package dev.raftflow.engine.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PersistentStateCodecTest {

  private static final PersistentState STATE = new PersistentState(new HardState(7, "b"),
      new Snapshot(4, 2, new Membership(Set.of("a", "b"), Set.of("a", "b", "c"), Set.of("d")), new byte[] {1, 2, 3}),
      List.of(LogEntry.command(5, 2, new byte[] {9}), LogEntry.noop(6, 7),
          LogEntry.config(7, 7, Membership.ofVoters(Set.of("a", "b")))));

  @Test
  void aWholeStateRoundTrips() {
    PersistentState back = PersistentStateCodec.decode(PersistentStateCodec.encode(STATE));
    assertThat(back.hardState()).isEqualTo(STATE.hardState());
    assertThat(back.snapshot().index()).isEqualTo(4);
    assertThat(back.snapshot().term()).isEqualTo(2);
    assertThat(back.snapshot().membership()).isEqualTo(STATE.snapshot().membership());
    assertThat(back.snapshot().data()).containsExactly(1, 2, 3);
    assertThat(back.entries()).hasSize(3);
    for (int i = 0; i < 3; i++) {
      LogEntry e = back.entries().get(i);
      LogEntry want = STATE.entries().get(i);
      assertThat(e.index()).isEqualTo(want.index());
      assertThat(e.term()).isEqualTo(want.term());
      assertThat(e.type()).isEqualTo(want.type());
      assertThat(e.data()).isEqualTo(want.data());
    }
    PersistentState empty = PersistentStateCodec.decode(PersistentStateCodec.encode(PersistentState.EMPTY));
    assertThat(empty.hardState()).isEqualTo(HardState.INITIAL);
    assertThat(empty.snapshot()).isNull();
    assertThat(empty.entries()).isEmpty();
    PersistentState noMembership = new PersistentState(HardState.INITIAL, new Snapshot(2, 1, new byte[0]), List.of());
    assertThat(PersistentStateCodec.decode(PersistentStateCodec.encode(noMembership)).snapshot().membership()).isNull();
  }

  @Test
  void damagedBytesAreRefusedWithTheReason() {
    byte[] good = PersistentStateCodec.encode(STATE);
    assertThatThrownBy(() -> PersistentStateCodec.decode(Arrays.copyOf(good, good.length - 1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PersistentStateCodec.decode(Arrays.copyOf(good, good.length + 1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trailing");
    byte[] otherFormat = good.clone();
    otherFormat[0] = 9;
    assertThatThrownBy(() -> PersistentStateCodec.decode(otherFormat)).hasMessageContaining("format 9");
    PersistentState gap = new PersistentState(HardState.INITIAL, null,
        List.of(LogEntry.command(1, 1, new byte[0]), LogEntry.command(3, 1, new byte[0])));
    assertThatThrownBy(() -> PersistentStateCodec.decode(PersistentStateCodec.encode(gap)))
        .hasMessageContaining("expected 2");
    assertThatThrownBy(() -> PersistentStateCodec.decode(new byte[0])).hasMessageContaining("truncated");
  }
}

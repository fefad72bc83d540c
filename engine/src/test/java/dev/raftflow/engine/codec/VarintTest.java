package dev.raftflow.engine.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VarintTest {

  @Test
  void roundTripsAndLengthMatchesWhatIsWritten() {
    Random r = new Random(5);
    long[] edges = {0, 1, 127, 128, 16_383, 16_384, Integer.MAX_VALUE, (1L << 56) - 1, 1L << 56, Long.MAX_VALUE};
    for (int i = 0; i < 10_000 + edges.length; i++) {
      long v = i < edges.length ? edges[i] : r.nextLong() >>> (1 + r.nextInt(63));
      ByteBuffer b = ByteBuffer.allocate(16);
      Varint.write(b, v);
      assertThat(b.position()).as("length of %d", v).isEqualTo(Varint.length(v));
      b.flip();
      assertThat(Varint.read(b, "v")).isEqualTo(v);
      assertThat(b.hasRemaining()).isFalse();
    }
    assertThat(Varint.length(Long.MAX_VALUE)).isEqualTo(Varint.MAX_LONG_BYTES);
    assertThat(Varint.length(Integer.MAX_VALUE)).isEqualTo(Varint.MAX_INT_BYTES);
  }

  @Test
  void refusesNegativeValuesAndMalformedBytesNamingTheField() {
    assertThatThrownBy(() -> Varint.length(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Varint.write(ByteBuffer.allocate(16), -1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Varint.read(ByteBuffer.wrap(new byte[] {(byte) 0x80}), "count"))
        .isInstanceOf(MalformedMessageException.class).hasMessageContaining("truncated").hasMessageContaining("count");
    assertThatThrownBy(() -> Varint.read(ByteBuffer.wrap(new byte[] {(byte) 0x81, 0}), "count"))
        .isInstanceOf(MalformedMessageException.class).hasMessageContaining("non-minimal");
    byte[] tooBig = new byte[10];
    java.util.Arrays.fill(tooBig, (byte) 0xFF);
    tooBig[9] = 1; // 2^64 - 1: beyond Long.MAX_VALUE
    assertThatThrownBy(() -> Varint.read(ByteBuffer.wrap(tooBig), "term"))
        .isInstanceOf(MalformedMessageException.class).hasMessageContaining("term");
  }
}

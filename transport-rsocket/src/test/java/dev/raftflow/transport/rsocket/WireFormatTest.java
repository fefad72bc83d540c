package dev.raftflow.transport.rsocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.codec.MalformedMessageException;
import dev.raftflow.engine.codec.MessageCodec;
import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Round-trip properties of the framing over every message type, and rejection of bad frames. */
class WireFormatTest {

  private static final int CASES = 400;

  @AfterAll
  static void noLeaks() {
    LeakRecorder.assertNoLeaks();
  }

  /** Same message: same type, same encoding, and for appends the same entry indexes. */
  static void assertSame(Message actual, Message expected) {
    assertThat(actual).hasSameClassAs(expected);
    assertThat(MessageCodec.encode(actual)).isEqualTo(MessageCodec.encode(expected));
    if (expected instanceof AppendEntries e) {
      assertThat(((AppendEntries) actual).entries()).extracting(LogEntry::index)
          .containsExactlyElementsOf(e.entries().stream().map(LogEntry::index).toList());
    }
  }

  @Test
  void nettyLeakDetectorIsParanoidAndRecording() {
    assertThat(LeakRecorder.installed()).as("surefire argLine installs LeakRecorder at paranoid level").isTrue();
  }

  @ParameterizedTest(name = "message kind {0}")
  @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6})
  void everyMessageTypeRoundTripsThroughNettyBuffers(int kind) {
    Random r = new Random(1000L + kind);
    for (int i = 0; i < CASES; i++) {
      Message m = TestKit.anyMessage(r, kind, TestKit.anyId(r), TestKit.anyId(r));
      ByteBuf buf = WireFormat.encodeMessage(ByteBufAllocator.DEFAULT, m);
      try {
        assertThat(buf.readableBytes()).isEqualTo(WireFormat.frameSize(m));
        WireFormat.Frame f = WireFormat.decode(buf);
        assertThat(f.kind()).isEqualTo(WireFormat.KIND_MESSAGE);
        assertSame(f.message(), m);
        assertThat(buf.readerIndex()).as("decode leaves the buffer's indexes alone").isZero();
      } finally {
        buf.release();
      }
      // the array form gives the same bytes
      assertSame(WireFormat.decode(WireFormat.encodeMessage(m)).message(), m);
    }
  }

  @Test
  void decodesFromACompositeBufferToo() {
    Random r = new Random(7);
    for (int kind = 0; kind < 7; kind++) {
      Message m = TestKit.anyMessage(r, kind, "a", "b");
      byte[] bytes = WireFormat.encodeMessage(m);
      int cut = bytes.length / 2;
      CompositeByteBuf c = ByteBufAllocator.DEFAULT.compositeBuffer();
      try {
        c.addComponent(true, ByteBufAllocator.DEFAULT.buffer().writeBytes(bytes, 0, cut));
        c.addComponent(true, ByteBufAllocator.DEFAULT.buffer().writeBytes(bytes, cut, bytes.length - cut));
        assertSame(WireFormat.decode(c).message(), m);
      } finally {
        c.release();
      }
    }
  }

  @Test
  void batchesOfEveryMessageTypeRoundTrip() {
    Random r = new Random(21);
    for (int i = 0; i < CASES; i++) {
      int n = 2 + r.nextInt(40);
      List<Message> ms = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        ms.add(TestKit.anyMessage(r, r.nextInt(7), TestKit.anyId(r), TestKit.anyId(r)));
      }
      byte[] frame = WireFormat.encodeBatch(ms);
      WireFormat.Frame f = WireFormat.decode(frame);
      assertThat(f.kind()).isEqualTo(WireFormat.KIND_BATCH);
      assertThat(f.messages()).hasSize(n);
      for (int k = 0; k < n; k++) {
        assertSame(f.messages().get(k), ms.get(k));
      }
      // every truncation of a batch is rejected as a whole
      int cut = 2 + r.nextInt(frame.length - 2);
      assertThatThrownBy(() -> WireFormat.decode(Arrays.copyOf(frame, cut)))
          .isInstanceOf(MalformedMessageException.class);
    }
  }

  @Test
  void helloRoundTrips() {
    ByteBuf b = WireFormat.encodeHello(ByteBufAllocator.DEFAULT, "节点-1");
    try {
      WireFormat.Frame f = WireFormat.decode(b);
      assertThat(f.kind()).isEqualTo(WireFormat.KIND_HELLO);
      assertThat(f.helloFrom()).isEqualTo("节点-1");
    } finally {
      b.release();
    }
  }

  @Test
  void everyTruncationIsRejectedWithMalformedMessage() {
    Random r = new Random(11);
    for (int kind = 0; kind < 7; kind++) {
      for (int i = 0; i < 30; i++) {
        byte[] full = WireFormat.encodeMessage(TestKit.anyMessage(r, kind, "n1", "n2"));
        for (int len = 0; len < full.length; len++) {
          byte[] cut = Arrays.copyOf(full, len);
          assertThatThrownBy(() -> WireFormat.decode(cut))
              .as("kind %d cut to %d of %d bytes", kind, len, full.length)
              .isInstanceOf(MalformedMessageException.class)
              .hasMessageNotContaining("null");
        }
      }
    }
  }

  @Test
  void corruptedAndRandomFramesNeverFailOtherwise() {
    Random r = new Random(12);
    int rejected = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] frame;
      if (i % 2 == 0) {
        frame = WireFormat.encodeMessage(TestKit.anyMessage(r, r.nextInt(7), "n1", "n2"));
        int flips = 1 + r.nextInt(4);
        for (int k = 0; k < flips; k++) {
          frame[r.nextInt(frame.length)] ^= (byte) (1 << r.nextInt(8));
        }
      } else {
        frame = new byte[r.nextInt(64)];
        r.nextBytes(frame);
        if (frame.length > 2 && r.nextBoolean()) {
          frame[0] = WireFormat.FRAME_VERSION;
          frame[1] = WireFormat.KIND_MESSAGE;
          frame[2] = MessageCodec.VERSION;
        }
      }
      try {
        WireFormat.decode(frame); // a flip may still give a valid message: that is fine
      } catch (MalformedMessageException e) {
        rejected++;
        assertThat(e.getMessage()).isNotBlank();
      }
    }
    assertThat(rejected).isGreaterThan(10_000);
  }

  @Test
  void rejectsUnknownFrameVersionAndKind() {
    assertThatThrownBy(() -> WireFormat.decode(new byte[] {9, 2, 1, 1}))
        .isInstanceOf(MalformedMessageException.class).hasMessageContaining("frame version 9");
    assertThatThrownBy(() -> WireFormat.decode(new byte[] {1, 7, 1, 1}))
        .isInstanceOf(MalformedMessageException.class).hasMessageContaining("frame kind 7");
    assertThatThrownBy(() -> WireFormat.decode(new byte[] {1, WireFormat.KIND_BATCH, 1, 2, 1, 1}))
        .isInstanceOf(MalformedMessageException.class).hasMessageContaining("batch count 1");
    assertThatThrownBy(() -> WireFormat.decode(new byte[] {1, WireFormat.KIND_HELLO}))
        .isInstanceOf(MalformedMessageException.class).hasMessageContaining("node id of 0 bytes");
  }
}

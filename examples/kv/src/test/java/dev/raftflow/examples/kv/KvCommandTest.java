package dev.raftflow.examples.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class KvCommandTest {

  private static final List<KvCommand> SAMPLES = List.of(
      new KvCommand.Put("a", "1".getBytes(UTF_8)),
      new KvCommand.Put("", new byte[0]),
      new KvCommand.Put("clé-ключ-鍵", new byte[] {0, -1, 127}),
      new KvCommand.Delete("gone"),
      new KvCommand.Cas("k", null, "new".getBytes(UTF_8)),
      new KvCommand.Cas("k", "old".getBytes(UTF_8), "new".getBytes(UTF_8)),
      new KvCommand.Cas("k", new byte[0], new byte[0]));

  @Test
  void everyCommandSurvivesARoundTrip() {
    for (KvCommand c : SAMPLES) {
      assertThat(KvCommand.decode(c.encode())).as(c.toString()).isEqualTo(c);
    }
  }

  @Test
  void casDistinguishesAnAbsentExpectationFromAnEmptyOne() {
    KvCommand absent = KvCommand.decode(new KvCommand.Cas("k", null, new byte[0]).encode());
    KvCommand empty = KvCommand.decode(new KvCommand.Cas("k", new byte[0], new byte[0]).encode());
    assertThat(((KvCommand.Cas) absent).expected()).isNull();
    assertThat(((KvCommand.Cas) empty).expected()).isEmpty();
    assertThat(absent).isNotEqualTo(empty);
  }

  @Test
  void everyTruncationOfAValidCommandIsRejected() {
    for (KvCommand c : SAMPLES) {
      byte[] full = c.encode();
      for (int n = 0; n < full.length; n++) {
        byte[] cut = Arrays.copyOf(full, n);
        assertThatThrownBy(() -> KvCommand.decode(cut)).as(c + " cut to " + n)
            .isInstanceOf(MalformedKvDataException.class);
      }
    }
  }

  @Test
  void malformedCommandsAreRejectedSayingWhy() {
    assertThatThrownBy(() -> KvCommand.decode(new byte[0])).hasMessageContaining("empty");
    byte[] put = new KvCommand.Put("a", "1".getBytes(UTF_8)).encode();
    byte[] badVersion = put.clone();
    badVersion[0] = 9;
    assertThatThrownBy(() -> KvCommand.decode(badVersion)).hasMessageContaining("version 9");
    byte[] badOp = put.clone();
    badOp[1] = 42;
    assertThatThrownBy(() -> KvCommand.decode(badOp)).hasMessageContaining("unknown KV op 42");
    byte[] trailing = Arrays.copyOf(put, put.length + 1);
    assertThatThrownBy(() -> KvCommand.decode(trailing)).hasMessageContaining("trailing");
    byte[] negative = ByteBuffer.allocate(2 + 3 + 4).put(KvCommand.VERSION).put(KvCommand.OP_PUT)
        .putShort((short) 1).put((byte) 'a').putInt(-5).array();
    assertThatThrownBy(() -> KvCommand.decode(negative)).hasMessageContaining("negative length");
    byte[] notUtf8 = ByteBuffer.allocate(2 + 3).put(KvCommand.VERSION).put(KvCommand.OP_DELETE)
        .putShort((short) 1).put((byte) 0xC3).array();
    assertThatThrownBy(() -> KvCommand.decode(notUtf8)).hasMessageContaining("UTF-8");
    byte[] cas = new KvCommand.Cas("a", null, new byte[0]).encode();
    cas[5] = 7; // the expected flag after [version][op][len 2][key 1]
    assertThatThrownBy(() -> KvCommand.decode(cas)).hasMessageContaining("expected flag");
    byte[] longLength = ByteBuffer.allocate(2 + 2).put(KvCommand.VERSION).put(KvCommand.OP_DELETE)
        .putShort((short) 500).array();
    assertThatThrownBy(() -> KvCommand.decode(longLength)).isInstanceOf(MalformedKvDataException.class)
        .hasMessageContaining("truncated");
  }

  @Test
  void badArgumentsAreRefusedWhenTheCommandIsMade() {
    assertThatThrownBy(() -> new KvCommand.Put(null, new byte[0])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new KvCommand.Put("k", null)).isInstanceOf(NullPointerException.class);
    String huge = "x".repeat(KvBytes.MAX_KEY_BYTES + 1);
    assertThatThrownBy(() -> new KvCommand.Delete(huge)).hasMessageContaining("at most");
  }

  @Test
  void answersSurviveARoundTripAndMalformedOnesAreRejected() {
    List<KvAnswer> answers = List.of(KvAnswer.applied(null), KvAnswer.applied("v".getBytes(UTF_8)),
        KvAnswer.notApplied(new byte[0]), KvAnswer.notApplied(null), KvAnswer.rejected("bad"));
    for (KvAnswer a : answers) {
      assertThat(KvAnswer.decode(a.encode())).isEqualTo(a);
    }
    assertThatThrownBy(() -> KvAnswer.decode(new byte[] {1, 9, 0})).hasMessageContaining("status 9");
    assertThatThrownBy(() -> KvAnswer.decode(new byte[] {1, 0, 1, 0})).isInstanceOf(MalformedKvDataException.class);
    assertThatThrownBy(() -> KvAnswer.decode(new byte[] {1, 0, 0, 0})).hasMessageContaining("trailing");
  }

  @Test
  void readRequestsAndRepliesSurviveARoundTrip() {
    ByteBuffer get = ByteBuffer.wrap(KvReads.getRequest("k"));
    assertThat(get.get()).isEqualTo(KvReads.OP_GET);
    assertThat(KvReads.readGet(get)).isEqualTo("k");
    ByteBuffer range = ByteBuffer.wrap(KvReads.rangeRequest(null, "z", 7));
    assertThat(range.get()).isEqualTo(KvReads.OP_RANGE);
    assertThat(KvReads.readRange(range)).isEqualTo(new KvReads.Range(null, "z", 7));
    ByteBuffer bad = ByteBuffer.wrap(KvReads.rangeRequest("a", null, 1));
    bad.get();
    bad.putInt(bad.limit() - 4, 0);
    assertThatThrownBy(() -> KvReads.readRange(bad)).hasMessageContaining("limit");

    ByteBuffer reply = KvReads.getReply("v".getBytes(UTF_8));
    reply.get();
    assertThat(KvReads.readGetReply(reply)).isEqualTo("v".getBytes(UTF_8));
    List<KvEntry> entries = List.of(new KvEntry("a", new byte[] {1}), new KvEntry("b", new byte[0]));
    ByteBuffer r = KvReads.rangeReply(entries);
    r.get();
    assertThat(KvReads.readRangeReply(r)).isEqualTo(entries);
  }
}

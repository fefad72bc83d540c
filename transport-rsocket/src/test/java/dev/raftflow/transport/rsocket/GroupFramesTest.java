package dev.raftflow.transport.rsocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.codec.MalformedMessageException;
import dev.raftflow.engine.codec.MessageCodec;
import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.AppendResponse;
import dev.raftflow.engine.message.EntryType;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.message.VoteResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The group-tagged framing: what is packed together, the group table, and malformed frames. */
class GroupFramesTest {

  @AfterAll
  static void noLeaks() {
    LeakRecorder.assertNoLeaks();
  }

  private static final ByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;

  private static LinkSettings settings(int batchBytes) {
    return new LinkSettings("h1", 1 << 20, 1000, batchBytes, 256, Duration.ofMillis(1), Duration.ofMillis(1), 1, ALLOC);
  }

  private static PeerLink.Queued queued(String group, Message m) {
    return new PeerLink.Queued(m, group, GroupFrames.singleFrameSize(GroupFrames.groupIdBytes(group).length,
        MessageCodec.encodedSize(m)), (byte) 0);
  }

  private static byte[] bytes(ByteBuf b) {
    byte[] out = new byte[b.readableBytes()];
    b.readBytes(out);
    b.release();
    return out;
  }

  @Test
  void messagesOfSeveralGroupsShareAFrameThatNamesEachGroupOnce() {
    OutboundFrames.Builder b = GroupFrames.INSTANCE.builder(settings(64 * 1024));
    Message m1 = new RequestVote(1, "h1", "h2", 3, 4);
    Message m2 = new VoteResponse(2, "h1", "h2", true);
    Message m3 = new RequestVote(5, "h1", "h2", 6, 7);
    b.start(queued("alpha", m1));
    assertThat(b.tryAdd(queued("beta", m2))).isTrue();
    assertThat(b.tryAdd(queued("alpha", m3))).isTrue();
    assertThat(b.messages()).isEqualTo(3);
    byte[] frame = bytes(b.build(ALLOC));
    String text = new String(frame, java.nio.charset.StandardCharsets.ISO_8859_1);
    assertThat(text.indexOf("alpha")).isEqualTo(text.lastIndexOf("alpha")).isPositive();
    GroupFrames.Frame f = GroupFrames.decode(Unpooled.wrappedBuffer(frame), "h1", "h2");
    assertThat(f.kind()).isEqualTo(GroupFrames.KIND_GROUPS);
    assertThat(f.groups()).containsExactly("alpha", "beta", "alpha");
    assertThat(f.messages()).containsExactly(m1, m2, m3);
  }

  @Test
  void aSingleMessageFrameIsExactlyTheSizeItIsQueuedWith() {
    OutboundFrames.Builder b = GroupFrames.INSTANCE.builder(settings(64 * 1024));
    Message m = new RequestVote(1, "h1", "h2", 3, 4);
    PeerLink.Queued q = queued("g", m);
    b.start(q);
    assertThat(bytes(b.build(ALLOC))).hasSize(q.bytes());
  }

  @Test
  void theBatchBoundKeepsTheNextMessageForTheNextFrame() {
    Message m = new RequestVote(1, "h1", "h2", 3, 4);
    PeerLink.Queued q = queued("g", m);
    OutboundFrames.Builder b = GroupFrames.INSTANCE.builder(settings(2 * q.bytes() - 1));
    b.start(q);
    assertThat(b.tryAdd(queued("g", m))).as("a second message of the group adds less than its own frame").isTrue();
    assertThat(b.tryAdd(queued("other", m))).isFalse();
  }

  @Test
  void controlFramesGoAlone() {
    OutboundFrames.Builder b = GroupFrames.INSTANCE.builder(settings(64 * 1024));
    b.start(new PeerLink.Queued(null, null, GroupFrames.CONTROL_BYTES, GroupFrames.KIND_PING));
    assertThat(b.tryAdd(queued("g", new RequestVote(1, "h1", "h2", 0, 0)))).isFalse();
    assertThat(b.messages()).isZero();
    byte[] ping = bytes(b.build(ALLOC));
    assertThat(ping).containsExactly(GroupFrames.FRAME_VERSION, GroupFrames.KIND_PING);
    b.reset();
    b.start(queued("g", new RequestVote(1, "h1", "h2", 0, 0)));
    assertThat(b.tryAdd(new PeerLink.Queued(null, null, GroupFrames.CONTROL_BYTES, GroupFrames.KIND_PONG))).isFalse();
  }

  @Test
  void malformedFramesAreRefusedWithTheReason() {
    byte[] single = WireFormat.encodeMessage(new RequestVote(1, "a", "b", 0, 0));
    assertThatThrownBy(() -> GroupFrames.decode(Unpooled.wrappedBuffer(single), "h1", "h2"))
        .isInstanceOf(MalformedMessageException.class).hasMessageContaining("unsupported frame version 1");
    OutboundFrames.Builder b = GroupFrames.INSTANCE.builder(settings(64 * 1024));
    b.start(queued("g", new RequestVote(1, "h1", "h2", 0, 0)));
    byte[] good = bytes(b.build(ALLOC));
    byte[] trailing = java.util.Arrays.copyOf(good, good.length + 1);
    assertThatThrownBy(() -> GroupFrames.decode(Unpooled.wrappedBuffer(trailing), "h1", "h2"))
        .isInstanceOf(MalformedMessageException.class).hasMessageContaining("trailing");
    byte[] badIndex = good.clone();
    badIndex[2 + 1 + 1 + 1 + 1] = 7; // the message's group index: only group 0 exists
    assertThatThrownBy(() -> GroupFrames.decode(Unpooled.wrappedBuffer(badIndex), "h1", "h2"))
        .isInstanceOf(MalformedMessageException.class).hasMessageContaining("names group 7 of 1");
    for (int cut = 0; cut < good.length; cut++) {
      byte[] truncated = java.util.Arrays.copyOf(good, cut);
      assertThatThrownBy(() -> GroupFrames.decode(Unpooled.wrappedBuffer(truncated), "h1", "h2"))
          .isInstanceOf(MalformedMessageException.class);
    }
    assertThatThrownBy(() -> GroupFrames.decode(Unpooled.wrappedBuffer(new byte[] {3, 5, 0}), "h1", "h2"))
        .isInstanceOf(MalformedMessageException.class);
  }

  @Test
  void maxMessageBytesLeavesRoomForTheGroupTag() {
    int max = GroupFrames.maxMessageBytes(1024, 10);
    assertThat(GroupFrames.singleFrameSize(10, max)).isLessThanOrEqualTo(1024);
    assertThat(max).isGreaterThan(1024 - 20);
  }

  @Test
  void decodedMessagesAreTheOnesSent() {
    List<Message> sent = List.of(new RequestVote(9, "h1", "h2", 1, 1), new VoteResponse(9, "h1", "h2", false));
    OutboundFrames.Builder b = GroupFrames.INSTANCE.builder(settings(64 * 1024));
    b.start(queued("x", sent.get(0)));
    assertThat(b.tryAdd(queued("y", sent.get(1)))).isTrue();
    assertThat(GroupFrames.decode(Unpooled.wrappedBuffer(bytes(b.build(ALLOC))), "h1", "h2").messages()).isEqualTo(sent);
  }

  @Test
  void heartbeatsAndTheirAnswersTravelAsRowsInOrderAmongOtherMessages() {
    Message hb1 = new AppendEntries(7, "h1", "h2", 100, 6, List.of(), 99, 12);
    Message append = new AppendEntries(7, "h1", "h2", 100, 6,
        List.of(new LogEntry(101, 7, EntryType.COMMAND, new byte[] {1, 2})), 99, 0);
    Message ack = AppendResponse.accepted(7, "h1", "h2", 100, 12);
    Message refused = new AppendResponse(7, "h1", "h2", false, 0, 100, 5, 90, 0);
    Message hb2 = new AppendEntries(300_000, "h1", "h2", 1L << 40, 299_999, List.of(), 1L << 40, 0);
    List<Message> sent = List.of(hb1, append, ack, refused, hb2);
    OutboundFrames.Builder b = GroupFrames.INSTANCE.builder(settings(64 * 1024));
    b.start(queued("alpha", hb1));
    for (Message m : sent.subList(1, sent.size())) {
      assertThat(b.tryAdd(queued(m == ack ? "beta" : "alpha", m))).isTrue();
    }
    byte[] frame = bytes(b.build(ALLOC));
    GroupFrames.Frame f = GroupFrames.decode(Unpooled.wrappedBuffer(frame), "h1", "h2");
    assertThat(f.messages()).usingRecursiveComparison().isEqualTo(sent); // entries' bytes compared by content
    assertThat(f.messages().get(0)).isEqualTo(hb1);
    assertThat(f.groups()).containsExactly("alpha", "alpha", "beta", "alpha", "alpha");

    // the same messages as codec frames would take more room: rows drop the hosts' ids and the codec header
    int codec = sent.stream().mapToInt(MessageCodec::encodedSize).sum();
    int rowsOnly = MessageCodec.encodedSize(append) + MessageCodec.encodedSize(refused);
    assertThat(frame.length).isLessThan(codec);
    assertThat(GroupFrames.rowOf(hb1, "h1")).isNotNegative();
    assertThat(GroupFrames.rowOf(ack, "h1")).isNotNegative();
    assertThat(GroupFrames.rowOf(append, "h1")).isNegative();
    assertThat(GroupFrames.rowOf(refused, "h1")).isNegative();
    assertThat(GroupFrames.rowOf(hb1, "h3")).as("only this host's own messages").isNegative();
    // header 2, group table 1 + 6 + 5, message count 1, group indexes 5, two codec frames with their
    // one-byte lengths, and the rows: tag + varints (hb1 6, ack 4, hb2 1 + 3 + 6 + 3 + 6 + 1 = 20)
    assertThat(frame.length).isEqualTo(2 + 12 + 1 + 5 + rowsOnly + 2 + 6 + 4 + 20);
  }

  @Test
  void malformedRowsAreRefused() {
    OutboundFrames.Builder b = GroupFrames.INSTANCE.builder(settings(64 * 1024));
    b.start(queued("alpha", new AppendEntries(7, "h1", "h2", 100, 6, List.of(), 99, 0)));
    byte[] frame = bytes(b.build(ALLOC));
    assertThatThrownBy(() -> GroupFrames.decode(Unpooled.wrappedBuffer(frame), null, null))
        .isInstanceOf(MalformedMessageException.class).hasMessageContaining("hosts are unknown");
    byte[] truncated = java.util.Arrays.copyOf(frame, frame.length - 2);
    assertThatThrownBy(() -> GroupFrames.decode(Unpooled.wrappedBuffer(truncated), "h1", "h2"))
        .isInstanceOf(MalformedMessageException.class);
    // a heartbeat row of term 0 (no leader's term): tag 0, term 0, prevLogIndex 5, prevLogTerm 1, commit 4, round 0
    byte[] heartbeatOfTermZero = rowFrame(new byte[] {0, 0, 5, 1, 4, 0});
    assertThatThrownBy(() -> GroupFrames.decode(Unpooled.wrappedBuffer(heartbeatOfTermZero), "h1", "h2"))
        .isInstanceOf(MalformedMessageException.class).hasMessageContaining("term is 0");
    assertThat(GroupFrames.decode(Unpooled.wrappedBuffer(rowFrame(new byte[] {0, 2, 5, 1, 4, 0})), "h1", "h2")
        .messages()).containsExactly(new AppendEntries(2, "h1", "h2", 5, 1, List.of(), 4, 0));
  }

  /** A groups frame of one group "g" and one message whose bytes after the group index are {@code row}. */
  private static byte[] rowFrame(byte[] row) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.writeBytes(new byte[] {GroupFrames.FRAME_VERSION, GroupFrames.KIND_GROUPS, 1, 1, 'g', 1, 0});
    out.writeBytes(row);
    return out.toByteArray();
  }
}

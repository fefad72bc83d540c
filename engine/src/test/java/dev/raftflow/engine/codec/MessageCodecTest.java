package dev.raftflow.engine.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.AppendResponse;
import dev.raftflow.engine.message.EntryType;
import dev.raftflow.engine.message.InstallSnapshot;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.message.SnapshotResponse;
import dev.raftflow.engine.message.ReadIndexRequest;
import dev.raftflow.engine.message.ReadIndexResponse;
import dev.raftflow.engine.message.TimeoutNow;
import dev.raftflow.engine.message.VoteResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MessageCodecTest {

  private final Random rnd = new Random(7);

  @Test
  void everyMessageTypeRoundTrips() {
    for (int i = 0; i < 2000; i++) {
      Message m = randomMessage();
      byte[] bytes = MessageCodec.encode(m);
      assertThat(bytes).hasSize(MessageCodec.encodedSize(m));
      assertSame(MessageCodec.decode(bytes), m);
    }
  }

  @Test
  void truncatedFramesAreRejectedWithAClearError() {
    for (int i = 0; i < 500; i++) {
      byte[] bytes = MessageCodec.encode(randomMessage());
      byte[] cut = Arrays.copyOf(bytes, rnd.nextInt(bytes.length));
      assertThatThrownBy(() -> MessageCodec.decode(cut)).isInstanceOf(MalformedMessageException.class);
    }
  }

  @Test
  void corruptedFramesNeverEscapeAsAnotherException() {
    for (int i = 0; i < 5000; i++) {
      byte[] bytes = MessageCodec.encode(randomMessage());
      int flips = 1 + rnd.nextInt(4);
      for (int f = 0; f < flips; f++) {
        bytes[rnd.nextInt(bytes.length)] ^= (byte) (1 + rnd.nextInt(255));
      }
      try {
        MessageCodec.decode(bytes); // may still be a valid message
      } catch (MalformedMessageException expected) {
        assertThat(expected.getMessage()).isNotBlank();
      }
    }
  }

  @Test
  void unknownVersionTypeAndTrailingBytesAreNamed() {
    byte[] ok = MessageCodec.encode(new VoteResponse(3, "a", "b", true));
    byte[] badVersion = ok.clone();
    badVersion[0] = 9;
    assertThatThrownBy(() -> MessageCodec.decode(badVersion)).hasMessageContaining("version 9");
    byte[] badType = ok.clone();
    badType[1] = 42;
    assertThatThrownBy(() -> MessageCodec.decode(badType)).hasMessageContaining("type 42");
    byte[] trailing = Arrays.copyOf(ok, ok.length + 2);
    assertThatThrownBy(() -> MessageCodec.decode(trailing)).hasMessageContaining("trailing");
  }

  @Test
  void hugeLengthClaimsDoNotAllocate() {
    // AppendEntries claiming 2^40 entries in a few bytes
    byte[] frame = {MessageCodec.VERSION, MessageCodec.T_APPEND_ENTRIES, 1, 1, 'a', 1, 'b', 0, 0, 0,
        (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x20};
    assertThatThrownBy(() -> MessageCodec.decode(frame)).isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("entry count");
  }

  @Test
  void aSnapshotChunkOutsideItsSnapshotIsMalformed() {
    // seq 1, offset 5 + 3 bytes of data in a snapshot of 6 bytes
    byte[] frame = {MessageCodec.VERSION, MessageCodec.T_INSTALL_SNAPSHOT, 1, 1, 'a', 1, 'b', 7, 1, 1, 5, 6, 3, 1, 2, 3, 0};
    assertThatThrownBy(() -> MessageCodec.decode(frame)).isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("offset 5").hasMessageContaining("6 bytes");
    byte[] fits = frame.clone();
    fits[11] = 8; // a snapshot of 8 bytes: the last chunk
    InstallSnapshot s = (InstallSnapshot) MessageCodec.decode(fits);
    assertThat(s.last()).isTrue();
    assertThat(s.data()).containsExactly(1, 2, 3);
  }

  @Test
  void integersTakeAFewBytes() {
    assertThat(MessageCodec.encodedSize(new VoteResponse(5, "1", "2", true))).isEqualTo(8);
    assertThat(MessageCodec.encodedSize(AppendResponse.accepted(5, "1", "2", 300))).isEqualTo(11);
    assertThat(MessageCodec.encodedSize(AppendResponse.accepted(5, "1", "2", 300, 200))).isEqualTo(12);
  }

  private long readRound() {
    return rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(3) == 0 ? Math.abs(rnd.nextLong()) : rnd.nextInt(1000);
  }

  private Message randomMessage() {
    long term = rnd.nextInt(3) == 0 ? Math.abs(rnd.nextLong()) : rnd.nextInt(1000);
    String from = "n" + rnd.nextInt(10);
    String to = "node-ü-" + rnd.nextInt(10);
    return switch (rnd.nextInt(9)) {
      case 0 -> new RequestVote(term, from, to, rnd.nextInt(100000), rnd.nextInt(100), rnd.nextBoolean(), rnd.nextBoolean());
      case 1 -> new VoteResponse(term, from, to, rnd.nextBoolean());
      case 2 -> {
        long prev = rnd.nextInt(100000);
        List<LogEntry> entries = new ArrayList<>();
        int count = rnd.nextInt(5);
        for (int i = 0; i < count; i++) {
          byte[] data = new byte[rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(300)];
          rnd.nextBytes(data);
          entries.add(new LogEntry(prev + 1 + i, term, rnd.nextBoolean() ? EntryType.COMMAND : EntryType.NOOP, data));
        }
        yield new AppendEntries(term, from, to, prev, rnd.nextInt(100), entries, rnd.nextInt(100000), readRound());
      }
      case 3 -> rnd.nextBoolean()
          ? AppendResponse.accepted(term, from, to, rnd.nextInt(100000), readRound())
          : AppendResponse.rejected(term, from, to, rnd.nextInt(100000), rnd.nextInt(100), rnd.nextInt(100000), readRound());
      case 4 -> {
        byte[] data = new byte[rnd.nextInt(1000)];
        rnd.nextBytes(data);
        long offset = rnd.nextBoolean() ? 0 : rnd.nextInt(1 << 20);
        long total = offset + data.length + (rnd.nextBoolean() ? 0 : rnd.nextInt(1 << 20));
        yield new InstallSnapshot(term, from, to, rnd.nextInt(100000), rnd.nextInt(100), rnd.nextInt(1000), offset, total, data);
      }
      case 5 -> switch (rnd.nextInt(3)) {
        case 0 -> SnapshotResponse.installed(term, from, to, rnd.nextInt(100000));
        case 1 -> SnapshotResponse.refused(term, from, to);
        default -> SnapshotResponse.received(term, from, to, 1 + rnd.nextInt(100000), rnd.nextInt(1000), rnd.nextInt(1 << 20),
            rnd.nextInt(1 << 20));
      };
      case 7 -> new ReadIndexRequest(term, from, to, rnd.nextLong() & Long.MAX_VALUE);
      case 8 -> new ReadIndexResponse(term, from, to, rnd.nextInt(1000), rnd.nextInt(100000), rnd.nextBoolean());
      default -> new TimeoutNow(term, from, to);
    };
  }

  private static void assertSame(Message actual, Message expected) {
    assertThat(actual.getClass()).isEqualTo(expected.getClass());
    if (expected instanceof AppendEntries e) {
      AppendEntries a = (AppendEntries) actual;
      assertThat(a.entries()).hasSameSizeAs(e.entries());
      for (int i = 0; i < e.entries().size(); i++) {
        LogEntry x = a.entries().get(i);
        LogEntry y = e.entries().get(i);
        assertThat(x.index()).isEqualTo(y.index());
        assertThat(x.term()).isEqualTo(y.term());
        assertThat(x.type()).isEqualTo(y.type());
        assertThat(x.data()).isEqualTo(y.data());
      }
      assertThat(new AppendEntries(a.term(), a.from(), a.to(), a.prevLogIndex(), a.prevLogTerm(), List.of(), a.leaderCommit(),
          a.readRound()))
          .isEqualTo(new AppendEntries(e.term(), e.from(), e.to(), e.prevLogIndex(), e.prevLogTerm(), List.of(), e.leaderCommit(),
              e.readRound()));
    } else if (expected instanceof InstallSnapshot e) {
      InstallSnapshot a = (InstallSnapshot) actual;
      assertThat(a.data()).isEqualTo(e.data());
      assertThat(List.of(a.term(), a.lastIncludedIndex(), a.lastIncludedTerm(), a.seq(), a.offset(), a.totalBytes()))
          .isEqualTo(List.of(e.term(), e.lastIncludedIndex(), e.lastIncludedTerm(), e.seq(), e.offset(), e.totalBytes()));
      assertThat(a.from() + a.to()).isEqualTo(e.from() + e.to());
    } else {
      assertThat(actual).isEqualTo(expected);
    }
  }
}

package dev.raftflow.engine.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.AppendResponse;
import dev.raftflow.engine.message.InstallSnapshot;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.message.SnapshotResponse;
import dev.raftflow.engine.message.TimeoutNow;
import dev.raftflow.engine.message.VoteResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MessageSizesTest {

  private static final String LONGEST_ID = "i".repeat(MessageCodec.MAX_ID_BYTES);
  private static final long HUGE = Long.MAX_VALUE - 1_000_000;

  @Test
  void appendEntriesNeverExceedTheirBoundAndTheWorstCaseMeetsIt() {
    Random r = new Random(11);
    for (int round = 0; round < 2000; round++) {
      boolean worst = round % 2 == 0;
      String from = worst ? LONGEST_ID : "l";
      String to = worst ? LONGEST_ID : "f";
      long big = worst ? HUGE : r.nextInt(1000);
      int n = r.nextInt(40);
      List<LogEntry> es = new ArrayList<>();
      long data = 0;
      for (int i = 0; i < n; i++) {
        byte[] d = new byte[r.nextInt(300)];
        data += d.length;
        es.add(LogEntry.command(big + 1 + i, worst ? Long.MAX_VALUE : 1 + r.nextInt(5), d));
      }
      AppendEntries a = new AppendEntries(worst ? Long.MAX_VALUE : 3, from, to, big, big, es, big, big);
      long bound = MessageSizes.maxAppendEntriesBytes(n, data);
      int size = MessageCodec.encodedSize(a);
      assertThat(size).isLessThanOrEqualTo((int) bound);
      if (worst) {
        // only the length varints (of the count and of each entry's data) are below their widest
        long slack = Varint.MAX_INT_BYTES - Varint.length(n);
        for (LogEntry e : es) {
          slack += Varint.MAX_INT_BYTES - Varint.length(e.data().length);
        }
        assertThat(bound - size).isEqualTo(slack);
      }
    }
  }

  @Test
  void snapshotChunksNeverExceedTheirBoundAndTheWorstCaseMeetsIt() {
    Membership members = Membership.of(Set.of(LONGEST_ID, "b", "c"), Set.of("d"));
    int membershipBytes = members.encode().length;
    for (int chunk : new int[] {0, 1, 100, 70_000}) {
      long total = InstallSnapshot.MAX_TOTAL_BYTES;
      InstallSnapshot s = new InstallSnapshot(Long.MAX_VALUE, LONGEST_ID, LONGEST_ID, HUGE, HUGE, HUGE,
          total - chunk, total, new byte[chunk], members);
      long bound = MessageSizes.maxInstallSnapshotBytes(chunk, membershipBytes);
      long slack = 2L * Varint.MAX_INT_BYTES - Varint.length(chunk) - Varint.length(membershipBytes);
      assertThat(bound - MessageCodec.encodedSize(s)).isEqualTo(slack);
      InstallSnapshot small = new InstallSnapshot(1, "a", "b", 5, 1, 0, 0, chunk, new byte[chunk], members);
      assertThat(MessageCodec.encodedSize(small)).isLessThan((int) bound);
    }
  }

  @Test
  void controlMessagesStayWithinTheirBound() {
    int bound = MessageSizes.maxControlMessageBytes();
    List<Message> worst = List.of(
        new RequestVote(Long.MAX_VALUE, LONGEST_ID, LONGEST_ID, HUGE, HUGE, true, true),
        new VoteResponse(Long.MAX_VALUE, LONGEST_ID, LONGEST_ID, true, true),
        AppendResponse.rejected(Long.MAX_VALUE, LONGEST_ID, LONGEST_ID, HUGE, HUGE, HUGE, HUGE),
        new TimeoutNow(Long.MAX_VALUE, LONGEST_ID, LONGEST_ID),
        new dev.raftflow.engine.message.ReadIndexRequest(Long.MAX_VALUE, LONGEST_ID, LONGEST_ID, HUGE),
        new dev.raftflow.engine.message.ReadIndexResponse(Long.MAX_VALUE, LONGEST_ID, LONGEST_ID, HUGE, HUGE, true),
        new SnapshotResponse(Long.MAX_VALUE, LONGEST_ID, LONGEST_ID, HUGE, HUGE, HUGE, HUGE, HUGE));
    int largest = 0;
    for (Message m : worst) {
      largest = Math.max(largest, MessageCodec.encodedSize(m));
    }
    assertThat(largest).isEqualTo(bound);
  }

  @Test
  void refusesNegativeArguments() {
    assertThatThrownBy(() -> MessageSizes.maxAppendEntriesBytes(-1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MessageSizes.maxInstallSnapshotBytes(0, -1)).isInstanceOf(IllegalArgumentException.class);
  }
}

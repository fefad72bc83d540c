package dev.raftflow.storage.chronicle;

import static dev.raftflow.storage.chronicle.CorruptionTest.entries;
import static dev.raftflow.storage.chronicle.CorruptionTest.flipByteOf;
import static dev.raftflow.storage.chronicle.StoreAssertions.assertSameEntries;
import static dev.raftflow.storage.chronicle.StoreAssertions.assertSameEntry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Format 2: entries packed into BATCH records. What shares a record, that a damaged or torn batch
 * beyond the watermark is dropped whole, and that a directory of another format is refused.
 */
class BatchRecordTest {

  private static final ChronicleLogStore.Options OPTS = TestStoreOptions.SMALL;

  @Test
  void oneWriteIsOneRecordAndSuffixReplacementStartsANewOne(@TempDir Path dir) {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS.withInline(true))) {
      s.load();
      s.write(new LogWrite(new HardState(1, "n1"), null, entries(1, 100, 1), 100, 1)).join();
      assertThat(StoreFiles.recordCount(dir)).as("hard state and 100 entries in one batch").isEqualTo(1);
      s.write(new LogWrite(null, null, entries(101, 110, 1), 110, 1)).join();
      assertThat(StoreFiles.recordCount(dir)).isEqualTo(2);
      s.write(new LogWrite(null, null, entries(90, 95, 2), 95, 2)).join();
      assertThat(StoreFiles.recordCount(dir)).isEqualTo(3);
      for (long i = 1; i <= 95; i++) {
        assertThat(s.read(i).term()).as("term of " + i).isEqualTo(i < 90 ? 1 : 2);
      }
      assertThatThrownBy(() -> s.read(96)).isInstanceOf(IndexOutOfBoundsException.class);
    }
    List<LogEntry> expected = new ArrayList<>(entries(1, 89, 1));
    expected.addAll(entries(90, 95, 2));
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      PersistentState ps = s.load();
      assertThat(ps.hardState()).isEqualTo(new HardState(1, "n1"));
      assertSameEntries(ps.entries(), expected, "after reopen");
    }
  }

  @Test
  void aLargeWriteIsSplitIntoRecordsWithinTheBlock(@TempDir Path dir) {
    ChronicleLogStore.Options opts = OPTS.withInline(true); // 1 MiB blocks: batches up to 128 KiB
    List<LogEntry> big = new ArrayList<>();
    for (int i = 1; i <= 100; i++) {
      byte[] data = new byte[4096];
      data[0] = (byte) i;
      data[4095] = (byte) -i;
      big.add(LogEntry.command(i, 1, data));
    }
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, opts)) {
      s.load();
      s.write(new LogWrite(null, null, big, 100, 1)).join();
      assertThat(StoreFiles.recordCount(dir)).as("400 KiB in batches of at most 128 KiB").isBetween(4L, 5L);
      for (LogEntry e : big) {
        assertSameEntry(s.read(e.index()), e, "read");
      }
    }
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, opts)) {
      assertSameEntries(s.load().entries(), big, "after reopen");
    }
  }

  @Test
  void configEntriesKeepTheirTypeAndBytes(@TempDir Path dir) {
    Membership joint = new Membership(Set.of("n1", "n2", "n4"), Set.of("n1", "n2", "n3"), Set.of("l1"));
    List<LogEntry> es = List.of(
        LogEntry.noop(1, 1),
        LogEntry.config(2, 1, Membership.ofVoters(List.of("n1", "n2", "n3"))),
        LogEntry.command(3, 1, "set x".getBytes(StandardCharsets.UTF_8)),
        LogEntry.config(4, 2, joint));
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(new LogWrite(null, null, es, 4, 2)).join();
    }
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      assertSameEntries(s.load().entries(), es, "after reopen");
      for (LogEntry e : es) {
        assertSameEntry(s.read(e.index()), e, "read after reopen");
      }
      assertThat(Membership.decode(s.read(4).data())).isEqualTo(joint);
    }
  }

  @Test
  void anEntryUpToTheLimitIsStoredAndALargerOneRefusedWithoutHarm(@TempDir Path dir) {
    ChronicleLogStore.Options opts = OPTS.withInline(true); // 1 MiB blocks: documents up to 256 KiB
    byte[] largest;
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, opts)) {
      s.load();
      largest = new byte[s.maxEntryBytes()];
      largest[0] = 7;
      largest[largest.length - 1] = 9;
      String longVote = "n".repeat(200);
      s.write(new LogWrite(new HardState(3, longVote), null, List.of(LogEntry.command(1, 3, largest)), 1, 3)).join();
      byte[] tooLarge = new byte[s.maxEntryBytes() + 1];
      assertThatThrownBy(() -> s.write(new LogWrite(null, null, List.of(LogEntry.command(2, 3, tooLarge)), 2, 3)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("entry 2 holds " + tooLarge.length + " bytes")
          .hasMessageContaining("at most " + s.maxEntryBytes());
      s.write(new LogWrite(null, null, entries(2, 3, 3), 3, 3)).join();
      assertThat(s.lastIndex()).isEqualTo(3);
      assertSameEntry(s.read(1), LogEntry.command(1, 3, largest), "largest entry");
    }
    assertThatThrownBy(() -> OPTS.withBlockSize(16 << 10)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("blockSize must be at least");
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, opts)) {
      PersistentState ps = s.load();
      assertThat(ps.hardState()).isEqualTo(new HardState(3, "n".repeat(200)));
      assertThat(ps.entries()).hasSize(3);
      assertSameEntry(ps.entries().get(0), LogEntry.command(1, 3, largest), "largest entry after reopen");
    }
  }

  @Test
  void queuedWritesMixingAppendsReplacementsAndVotesReplayInOrder(@TempDir Path dir) {
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      for (int i = 1; i <= 40; i++) {
        fs.add(s.write(new LogWrite(null, null, entries(i, i, 1), i, 1)));
      }
      fs.add(s.write(new LogWrite(new HardState(2, "n2"), null, List.of(), 40, 1)));
      fs.add(s.write(new LogWrite(null, null, entries(41, 45, 1), 45, 1)));
      fs.add(s.write(new LogWrite(new HardState(3, null), null, entries(30, 33, 3), 33, 3)));
      fs.add(s.write(new LogWrite(null, null, entries(34, 36, 3), 36, 3)));
      fs.add(s.write(new LogWrite(null, null, entries(36, 37, 3), 37, 3)));
      CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).join();
      assertThat(StoreFiles.recordCount(dir)).as("appends share records").isLessThan(fs.size());
      assertThat(s.lastIndex()).isEqualTo(37);
      assertThat(s.read(29).term()).isEqualTo(1);
      assertThat(s.read(37).term()).isEqualTo(3);
    }
    List<LogEntry> expected = new ArrayList<>(entries(1, 29, 1));
    expected.addAll(entries(30, 37, 3));
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      PersistentState ps = s.load();
      assertThat(ps.hardState()).isEqualTo(new HardState(3, null));
      assertSameEntries(ps.entries(), expected, "after reopen");
    }
  }

  @Test
  void damageInsideAnUnacknowledgedBatchDropsTheWholeBatch(@TempDir Path dir) throws IOException {
    writeThenForgetAck(dir);
    flipByteOf(dir, "entry 57@1 ");
    assertRecoversToFirstBatchAndWorksOn(dir);
  }

  @Test
  void tornUnacknowledgedBatchIsDroppedWhole(@TempDir Path dir) throws IOException {
    writeThenForgetAck(dir);
    // As if the last page of the record never reached the disk: its end reads as zeros.
    zeroFrom(dir, "entry 58@1 ");
    assertRecoversToFirstBatchAndWorksOn(dir);
  }

  @Test
  void tornBatchInsideTheAcknowledgedRegionRefusesToStart(@TempDir Path dir) throws IOException {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(new LogWrite(new HardState(1, "n1"), null, entries(1, 30, 1), 30, 1)).join();
    }
    zeroFrom(dir, "entry 28@1 ");
    ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS);
    assertThatThrownBy(s::load).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("damaged inside the acknowledged region");
    s.close();
  }

  @Test
  void directoryOfAnotherFormatIsRefused(@TempDir Path dir) throws IOException {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(new LogWrite(new HardState(1, "n1"), null, entries(1, 10, 1), 10, 1)).join();
    }
    Path format = dir.resolve(StoreDirectory.FORMAT_FILE);
    assertThat(Files.readString(format)).isEqualTo("raftflow-chronicle-log format 3\n");
    byte[] ack = Files.readAllBytes(dir.resolve("ack"));

    Files.delete(format); // a lost format file: damage (format 1 directories, which had none, are not read either)
    for (int k = 0; k < 2; k++) {
      ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS);
      assertThatThrownBy(s::load).isInstanceOf(StoreRefusedException.class)
          .hasMessageContaining("'format' file is missing").hasMessageContaining("wipe " + dir);
      s.close();
    }
    assertThat(format).as("refusing writes nothing").doesNotExist();
    assertThat(Files.readAllBytes(dir.resolve("ack"))).isEqualTo(ack);

    Files.writeString(format, "raftflow-chronicle-log format 4\n");
    ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS);
    assertThatThrownBy(s::load).isInstanceOf(StoreRefusedException.class)
        .hasMessageContaining("format 4").hasMessageContaining("reads only format 3");
    s.close();

    Files.writeString(format, "raftflow-chronicle-log format 2\n");
    try (ChronicleLogStore s2 = ChronicleLogStore.open(dir, OPTS)) {
      assertSameEntries(s2.load().entries(), entries(1, 10, 1), "a format 2 directory opens");
    }
    assertThat(Files.readString(format)).as("and is upgraded to format 3 at once").isEqualTo("raftflow-chronicle-log format 3\n");
  }

  @Test
  void freshDirectoryWithoutPreallocationWorksToo(@TempDir Path dir) {
    ChronicleLogStore.Options opts = OPTS.withPreallocateBytes(0).withSegmentBytes(16 << 10);
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, opts)) {
      s.load();
      for (int i = 0; i < 10; i++) {
        s.write(new LogWrite(null, null, entries(i * 50L + 1, i * 50L + 50, 1), i * 50L + 50, 1)).join();
      }
    }
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) { // and reopened with it
      assertSameEntries(s.load().entries(), entries(1, 500, 1), "after reopen");
      s.write(new LogWrite(null, null, entries(501, 600, 1), 600, 1)).join();
    }
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      assertSameEntries(s.load().entries(), entries(1, 600, 1), "after second reopen");
    }
  }

  /** Entries 1..50 acknowledged, then 51..60 written as one batch whose acknowledgement is lost. */
  private static void writeThenForgetAck(Path dir) throws IOException {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(new LogWrite(new HardState(1, "n1"), null, entries(1, 50, 1), 50, 1)).join();
    }
    byte[] ackAfterA = Files.readAllBytes(dir.resolve("ack"));
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(new LogWrite(null, null, entries(51, 60, 1), 60, 1)).join();
    }
    Files.write(dir.resolve("ack"), ackAfterA);
  }

  private static void assertRecoversToFirstBatchAndWorksOn(Path dir) {
    List<LogEntry> survivors = new ArrayList<>(entries(1, 50, 1)); // 51..60 were one batch
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      PersistentState ps = s.load();
      assertSameEntries(ps.entries(), survivors, "after tail damage");
      assertThat(ps.hardState()).isEqualTo(new HardState(1, "n1"));
      s.write(new LogWrite(null, null, entries(51, 52, 2), 52, 2)).join();
    }
    survivors.addAll(entries(51, 52, 2));
    for (int k = 0; k < 2; k++) {
      try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
        assertSameEntries(s.load().entries(), survivors, "restart " + k);
      }
    }
  }

  /** Zeroes a cycle file from the payload starting with {@code marker} through the record's end. */
  private static void zeroFrom(Path dir, String marker) throws IOException {
    byte[] needle = marker.getBytes(StandardCharsets.UTF_8);
    try (Stream<Path> files = Files.list(dir.resolve("queue"))) {
      for (Path p : files.filter(f -> f.toString().endsWith(".cq4")).sorted().toList()) {
        byte[] all = Files.readAllBytes(p);
        int at = indexOf(all, needle);
        if (at >= 0) {
          int end = at;
          while (end < all.length && !allZero(all, end, 64)) {
            end++;
          }
          try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.seek(at);
            raf.write(new byte[end - at]);
          }
          return;
        }
      }
    }
    throw new AssertionError("no cycle file holds " + marker);
  }

  private static boolean allZero(byte[] b, int from, int n) {
    for (int i = from; i < Math.min(b.length, from + n); i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}

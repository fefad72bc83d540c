package dev.raftflow.storage.chronicle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogWrite;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged or incomplete store directories: {@code load()} (or {@code open}) refuses them quickly
 * with a {@link StoreRefusedException} whose message names the directory, the file at fault and the
 * recovery, and refuses again on the next try; new directories still open.
 */
class StoreRefusalTest {

  private static final ChronicleLogStore.Options OPTS = TestStoreOptions.SMALL;
  /** A Chronicle timeout long enough that waiting on it once cannot pass for not waiting. */
  private static final long LONG_TIMEOUT_MS = 10_000;
  private static final ChronicleLogStore.Options LONG_TIMEOUT = new ChronicleLogStore.Options(OPTS.durability(),
      OPTS.segmentBytes(), OPTS.rollOnSnapshotBytes(), OPTS.blockSize(), OPTS.ackSyncIntervalMillis(), LONG_TIMEOUT_MS,
      false, OPTS.preallocateBytes());

  @Test
  void cycleFileHeaderMarkedIncompleteIsRefusedWithoutWaiting(@TempDir Path dir) throws IOException {
    Path cycle = storeWithRecords(dir);
    setByte(cycle, 3, 0x80); // the header's length word now says "being written"
    long start = System.nanoTime();
    // Chronicle would wait its timeout (10 s here) on a header marked incomplete; refusing twice
    // must not wait even once (the bound leaves room for a slow machine).
    assertRefusedTwice(dir, cycle, StoreRefusedException.Recovery.WIPE_AND_REJOIN, LONG_TIMEOUT)
        .hasMessageContaining("header is damaged");
    assertThat((System.nanoTime() - start) / 1_000_000).as("ms to refuse twice").isLessThan(LONG_TIMEOUT_MS / 2);
  }

  @Test
  void halfCreatedCycleFileBeyondTheWatermarkIsDroppedAsATornTail(@TempDir Path dir) throws IOException {
    Path first = storeWithRecords(dir);
    byte[] ackAfterFirst = Files.readAllBytes(dir.resolve("ack"));
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load(); // every open starts a new cycle file
      s.write(new LogWrite(null, null, CorruptionTest.entries(31, 40, 1), 40, 1)).join();
    }
    Files.write(dir.resolve("ack"), ackAfterFirst); // as if killed before acknowledging 31..40
    Path second;
    try (Stream<Path> files = Files.list(dir.resolve("queue"))) {
      second = files.filter(p -> p.toString().endsWith(".cq4") && !p.equals(first)).findFirst().orElseThrow();
    }
    for (int k = 0; k < 4; k++) { // the header's length word as a crash mid-creation leaves it
      setByte(second, k, k == 3 ? 0x80 : 0);
    }
    long start = System.nanoTime();
    // A long Chronicle timeout: it would wait on the incomplete header before recovering it.
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, LONG_TIMEOUT)) {
      assertThat(s.load().entries()).hasSize(30);
      assertThat((System.nanoTime() - start) / 1_000_000).as("ms to recover").isLessThan(LONG_TIMEOUT_MS / 2);
      s.write(new LogWrite(null, null, CorruptionTest.entries(31, 35, 2), 35, 2)).join();
    }
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      StoreAssertions.assertSameEntries(s.load().entries().subList(30, 35), CorruptionTest.entries(31, 35, 2), "after");
    }
  }

  @Test
  void flippedByteInCycleFileHeaderTypeIsRefused(@TempDir Path dir) throws IOException {
    Path cycle = storeWithRecords(dir);
    flip(cycle, 20); // inside "SCQStore"
    assertRefusedTwice(dir, cycle, StoreRefusedException.Recovery.WIPE_AND_REJOIN).hasMessageContaining("header is damaged");
  }

  @Test
  void flippedByteInCycleFileHeaderFieldsIsRefused(@TempDir Path dir) throws IOException {
    Path cycle = storeWithRecords(dir);
    flip(cycle, 40); // inside the header's writePosition field
    assertRefusedTwice(dir, cycle, StoreRefusedException.Recovery.WIPE_AND_REJOIN).hasMessageContaining("header is damaged");
  }

  @Test
  void cycleFileTruncatedInsideItsHeaderIsRefused(@TempDir Path dir) throws IOException {
    Path cycle = storeWithRecords(dir);
    truncate(cycle, 10);
    assertRefusedTwice(dir, cycle, StoreRefusedException.Recovery.WIPE_AND_REJOIN).hasMessageContaining("too short");
  }

  @Test
  void cycleFileTruncatedInsideAcknowledgedRecordsIsRefused(@TempDir Path dir) throws IOException {
    Path cycle = storeWithRecords(dir);
    truncate(cycle, 1200); // past the header, inside the records
    assertRefusedTwice(dir, cycle, StoreRefusedException.Recovery.WIPE_AND_REJOIN)
        .hasMessageContaining("acknowledged");
  }

  @Test
  void missingFormatFileInUsedDirectoryIsDamageNotAnOldFormat(@TempDir Path dir) throws IOException {
    storeWithRecords(dir);
    Files.delete(dir.resolve("format"));
    assertRefusedTwice(dir, dir.resolve("format"), StoreRefusedException.Recovery.WIPE_AND_REJOIN)
        .hasMessageContaining("'format' file is missing")
        .hasMessageNotContaining("migrate");
  }

  @Test
  void otherFormatIsRefusedAsSuch(@TempDir Path dir) throws IOException {
    storeWithRecords(dir);
    Files.writeString(dir.resolve("format"), "raftflow-chronicle-log format 4\n");
    assertRefusedTwice(dir, dir.resolve("format"), StoreRefusedException.Recovery.OTHER_FORMAT)
        .hasMessageContaining("format 4");
  }

  @Test
  void missingAckFileInStoreWithRecordsIsRefused(@TempDir Path dir) throws IOException {
    storeWithRecords(dir);
    Files.delete(dir.resolve("ack"));
    assertRefusedTwice(dir, dir.resolve("ack"), StoreRefusedException.Recovery.WIPE_AND_REJOIN)
        .hasMessageContaining("watermark file is missing");
  }

  @Test
  void emptiedAckFileInStoreWithRecordsIsRefused(@TempDir Path dir) throws IOException {
    storeWithRecords(dir);
    truncate(dir.resolve("ack"), 0);
    assertRefusedTwice(dir, dir.resolve("ack"), StoreRefusedException.Recovery.WIPE_AND_REJOIN)
        .hasMessageContaining("watermark is unreadable");
  }

  @Test
  void newAndEmptyDirectoriesOpenAndKeepTheirGuard(@TempDir Path dir) throws IOException {
    Path fresh = dir.resolve("fresh");
    Files.createDirectories(fresh);
    try (ChronicleLogStore s = ChronicleLogStore.open(fresh, OPTS)) {
      assertThat(s.load().entries()).isEmpty();
    }
    // The watermark file holds a valid slot before any record exists, so emptying it is detectable.
    try (AckFile ack = new AckFile(fresh.resolve("ack"))) {
      assertThat(ack.unreadable()).as("ack file of a new store unreadable").isFalse();
      assertThat(ack.queueIndex()).isEqualTo(AckFile.NONE);
    }
    // Opened and closed without a record: still new enough to open.
    try (ChronicleLogStore s = ChronicleLogStore.open(fresh, OPTS)) {
      assertThat(s.load().entries()).isEmpty();
      s.write(new LogWrite(new HardState(1, "n1"), null, CorruptionTest.entries(1, 3, 1), 3, 1)).join();
    }
    try (ChronicleLogStore s = ChronicleLogStore.open(fresh, OPTS)) {
      assertThat(s.load().entries()).hasSize(3);
    }
    assertThat(Files.readString(fresh.resolve("format"))).isEqualTo("raftflow-chronicle-log format 3\n");
  }

  @Test
  void directoryInUseIsRefusedNamingTheLock(@TempDir Path dir) {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      assertThatThrownBy(() -> ChronicleLogStore.open(dir, OPTS))
          .isInstanceOfSatisfying(StoreRefusedException.class, e -> {
            assertThat(e.file()).isEqualTo(dir.resolve("LOCK"));
            assertThat(e.recovery()).isEqualTo(StoreRefusedException.Recovery.IN_USE);
          })
          .hasMessageContaining(dir.resolve("LOCK").toString())
          .hasMessageContaining("in use by another store");
    }
  }

  @Test
  void directoryThatCannotBeCreatedIsRefusedWithAccessAdvice(@TempDir Path dir) throws IOException {
    Path blocker = dir.resolve("a-file");
    Files.writeString(blocker, "not a directory");
    Path under = blocker.resolve("store");
    assertThatThrownBy(() -> ChronicleLogStore.open(under, OPTS))
        .isInstanceOfSatisfying(StoreRefusedException.class,
            e -> assertThat(e.recovery()).isEqualTo(StoreRefusedException.Recovery.FIX_ACCESS))
        .hasMessageContaining(under.toString())
        .hasMessageContaining("readable and writable");
  }

  /** A store in {@code dir} with 30 acknowledged entries, closed; returns its only cycle file. */
  private static Path storeWithRecords(Path dir) throws IOException {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(new LogWrite(new HardState(1, "n1"), null, CorruptionTest.entries(1, 30, 1), 30, 1)).join();
    }
    try (Stream<Path> files = Files.list(dir.resolve("queue"))) {
      return files.filter(p -> p.toString().endsWith(".cq4")).sorted().findFirst().orElseThrow();
    }
  }

  /**
   * Asserts that loading {@code dir} is refused, twice (refusing changes nothing), with {@code
   * recovery}, naming the directory, {@code file} and the advice; returns the second refusal.
   */
  private static AbstractThrowableAssert<?, ? extends Throwable> assertRefusedTwice(Path dir, Path file,
      StoreRefusedException.Recovery recovery) {
    return assertRefusedTwice(dir, file, recovery, OPTS);
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertRefusedTwice(Path dir, Path file,
      StoreRefusedException.Recovery recovery, ChronicleLogStore.Options options) {
    AbstractThrowableAssert<?, ? extends Throwable> last = null;
    for (int k = 0; k < 2; k++) {
      ChronicleLogStore s = ChronicleLogStore.open(dir, options);
      try {
        last = assertThatThrownBy(s::load)
            .isInstanceOfSatisfying(StoreRefusedException.class, e -> {
              assertThat(e.directory()).isEqualTo(dir);
              assertThat(e.file()).isEqualTo(file);
              assertThat(e.recovery()).isEqualTo(recovery);
            })
            .hasMessageContaining("log store " + dir + ": " + file + ": ")
            .hasMessageContaining("To recover: ");
        if (recovery == StoreRefusedException.Recovery.WIPE_AND_REJOIN) {
          last.hasMessageContaining("wipe " + dir).hasMessageContaining("--join");
        }
      } finally {
        s.close();
      }
    }
    return last;
  }

  private static void setByte(Path f, long at, int value) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      raf.seek(at);
      raf.write(value);
    }
  }

  private static void flip(Path f, long at) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      raf.seek(at);
      int old = raf.read();
      raf.seek(at);
      raf.write(old ^ 0x40);
    }
  }

  private static void truncate(Path f, long size) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.truncate(size);
    }
  }
}

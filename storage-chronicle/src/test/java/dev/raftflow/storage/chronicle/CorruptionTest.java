package dev.raftflow.storage.chronicle;

import static dev.raftflow.storage.chronicle.StoreAssertions.assertSameEntries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flipped bytes: in the unacknowledged tail, recovery drops the damaged record and what follows
 * and the store works on; inside the acknowledged region, {@code load()} refuses with a {@link
 * StoreRefusedException} naming the file and the recovery, and changes nothing.
 */
class CorruptionTest {

  private static final ChronicleLogStore.Options OPTS = TestStoreOptions.SMALL;

  @Test
  void damagedUnacknowledgedTailIsDropped(@TempDir Path dir) throws IOException {
    List<LogEntry> a = entries(1, 50, 1);
    List<LogEntry> b = entries(51, 60, 1);
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(new LogWrite(new HardState(1, "n1"), null, a, 50, 1)).join();
      s.close();
      byte[] ackAfterA = Files.readAllBytes(dir.resolve("ack"));
      try (ChronicleLogStore s2 = ChronicleLogStore.open(dir, OPTS)) {
        s2.load(); // two writes, two batch records: 51..54 and 55..60
        s2.write(new LogWrite(null, null, b.subList(0, 4), 54, 1)).join();
        s2.write(new LogWrite(null, null, b.subList(4, 10), 60, 1)).join();
      }
      // As if the process died after writing b but before acknowledging it.
      Files.write(dir.resolve("ack"), ackAfterA);
    }
    flipByteOf(dir, "entry 55@1 ");

    List<LogEntry> survivors = new ArrayList<>(a);
    survivors.addAll(b.subList(0, 4)); // 51..54; 55 is damaged, 56..60 share its batch record
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      PersistentState ps = s.load();
      assertSameEntries(ps.entries(), survivors, "after tail damage");
      assertThat(ps.hardState()).isEqualTo(new HardState(1, "n1"));
      // The store works on, and the damaged region stays void across restarts.
      s.write(new LogWrite(null, null, entries(55, 57, 2), 57, 2)).join();
    }
    survivors.addAll(entries(55, 57, 2));
    for (int k = 0; k < 2; k++) {
      try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
        assertSameEntries(s.load().entries(), survivors, "restart " + k);
      }
    }
  }

  @Test
  void damageInsideAcknowledgedRegionRefusesToStart(@TempDir Path dir) throws IOException {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(new LogWrite(new HardState(1, "n1"), null, entries(1, 30, 1), 30, 1)).join();
      s.write(new LogWrite(null, null, entries(31, 40, 1), 40, 1)).join();
    }
    flipByteOf(dir, "entry 20@1 ");
    for (int k = 0; k < 2; k++) { // refusing changes nothing: it refuses again
      ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS);
      assertThatThrownBy(s::load)
          .isInstanceOf(StoreRefusedException.class)
          .hasMessageContaining("damaged inside the acknowledged region")
          .hasMessageContaining("checksum mismatch")
          .hasMessageContaining(dir.resolve("queue").toString() + "/")
          .hasMessageContaining("wipe " + dir);
      s.close();
    }
  }

  @Test
  void acknowledgedEntriesMissingRefusesToStart(@TempDir Path dir) throws IOException {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(new LogWrite(new HardState(1, "n1"), null, entries(1, 30, 1), 30, 1)).join();
    }
    try (Stream<Path> files = Files.list(dir.resolve("queue"))) {
      for (Path p : files.filter(f -> f.toString().endsWith(".cq4")).toList()) {
        Files.delete(p); // the whole log is gone, but the watermark says 30 entries were acknowledged
      }
    }
    ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS);
    assertThatThrownBy(s::load)
        .isInstanceOf(StoreRefusedException.class)
        .hasMessageContaining("acknowledged through")
        .hasMessageContaining("which is missing")
        .hasMessageContaining("wipe " + dir);
    s.close();
  }

  @Test
  void snapshotWithUndecodableMembershipRefusesToStart(@TempDir Path dir) throws Exception {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(new LogWrite(new HardState(1, "n1"), null, entries(1, 20, 1), 20, 1)).join();
      Membership m = Membership.ofVoters(List.of("n1", "n2", "n3"));
      s.write(new LogWrite(null, new Snapshot(10, 1, m, new byte[] {7}), List.of(), 20, 1)).join();
    }
    Path file = DurabilityTest.onlySnapshotFile(dir);
    byte[] all = Files.readAllBytes(file);
    all[4 + 8 + 8 + 8 + 4] = 9; // the membership's format byte; then a checksum that matches again
    CRC32C crc = new CRC32C();
    crc.update(all, 0, all.length - 4);
    ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).putInt(all.length - 4, (int) crc.getValue());
    Files.write(file, all);
    ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS);
    assertThatThrownBy(s::load)
        .isInstanceOf(StoreRefusedException.class)
        .hasMessageContaining("is damaged")
        .hasMessageContaining("membership")
        .hasMessageContaining(file.toString())
        .hasMessageContaining("wipe " + dir);
    s.close();
  }

  static List<LogEntry> entries(long from, long to, long term) {
    List<LogEntry> es = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      es.add(LogEntry.command(i, term, ("entry " + i + "@" + term + " payload payload payload").getBytes(StandardCharsets.UTF_8)));
    }
    return es;
  }

  /** Flips one byte of the payload starting with {@code marker} in whichever cycle file holds it. */
  static void flipByteOf(Path dir, String marker) throws IOException {
    byte[] needle = marker.getBytes(StandardCharsets.UTF_8);
    try (Stream<Path> files = Files.list(dir.resolve("queue"))) {
      for (Path p : files.filter(f -> f.toString().endsWith(".cq4")).sorted().toList()) {
        byte[] all = Files.readAllBytes(p);
        int at = indexOf(all, needle);
        if (at >= 0) {
          try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.seek(at + needle.length + 3);
            int old = raf.read();
            raf.seek(at + needle.length + 3);
            raf.write(old ^ 0x40);
          }
          return;
        }
      }
    }
    throw new AssertionError("no cycle file holds " + marker);
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

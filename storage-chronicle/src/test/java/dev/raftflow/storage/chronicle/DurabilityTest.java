package dev.raftflow.storage.chronicle;

import static dev.raftflow.storage.chronicle.CorruptionTest.entries;
import static dev.raftflow.storage.chronicle.StoreAssertions.assertSameEntries;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The durability policy, the write contract and the files a store leaves behind. */
class DurabilityTest {

  private static final ChronicleLogStore.Options OPTS = TestStoreOptions.SMALL;

  private static LogWrite append(long from, long to, long term) {
    return new LogWrite(null, null, entries(from, to, term), to, term);
  }

  @Test
  void groupCommitSharesSyncsAndCompletesInCallOrder(@TempDir Path dir) {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      List<Integer> completed = Collections.synchronizedList(new ArrayList<>());
      List<CompletableFuture<Void>> fs = new ArrayList<>();
      int pendingAtReturn = 0;
      for (int i = 1; i <= 300; i++) {
        int n = i;
        CompletableFuture<Void> f = s.write(append(i, i, 1));
        if (!f.isDone()) {
          pendingAtReturn++; // write() handed the batch over instead of waiting for the disk
        }
        fs.add(f.whenComplete((v, t) -> completed.add(n)));
      }
      CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).join();
      List<Integer> expected = new ArrayList<>();
      for (int i = 1; i <= 300; i++) {
        expected.add(i);
      }
      assertThat(completed).as("futures complete in call order").isEqualTo(expected);
      assertThat(pendingAtReturn).as("write() does not wait for the sync on the caller's thread").isPositive();
      assertThat(s.syncCount()).as("batches queued behind a sync share the next one").isLessThan(300);
      assertThat(s.read(300).index()).isEqualTo(300);
    }
  }

  @Test
  void osCacheModeSyncsOnlyForHardStateAndSnapshots(@TempDir Path dir) {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS.withDurability(Durability.OS_CACHE))) {
      s.load();
      s.write(append(1, 10, 1)).join();
      s.write(append(11, 20, 1)).join();
      assertThat(s.syncCount()).as("entries alone rely on the page cache").isZero();
      s.write(new LogWrite(new HardState(2, "n2"), null, List.of(), 20, 1)).join();
      assertThat(s.syncCount()).as("term and vote are always synced").isEqualTo(1);
      s.write(new LogWrite(null, new Snapshot(15, 1, new byte[] {1}), List.of(), 20, 1)).join();
      assertThat(s.syncCount()).as("a snapshot is always synced").isEqualTo(2);
    }
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      PersistentState ps = s.load();
      assertThat(ps.hardState()).isEqualTo(new HardState(2, "n2"));
      assertSameEntries(ps.entries(), entries(16, 20, 1), "after reopen");
    }
  }

  @Test
  void fsyncModeSyncsEveryRound(@TempDir Path dir) {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(append(1, 10, 1)).join();
      s.write(append(11, 20, 1)).join();
      assertThat(s.syncCount()).isEqualTo(2);
    }
  }

  @Test
  void aCrashWithWritesInFlightKeepsWhatWasAcknowledged(@TempDir Path dir) {
    ChronicleLogStore s = ChronicleLogStore.open(dir.resolve("store"), OPTS);
    s.load();
    s.write(new LogWrite(new HardState(3, "n3"), null, entries(1, 100, 3), 100, 3)).join();
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    for (int i = 101; i <= 400; i++) {
      fs.add(s.write(append(i, i, 3)));
    }
    long acknowledged = 100; // acknowledged before the crash: a prefix of the writes, in call order
    for (CompletableFuture<Void> f : fs) {
      if (!f.isDone()) {
        break;
      }
      f.join();
      acknowledged++;
    }
    Path image = StoreFiles.crashImage(s, dir.resolve("crashed"));
    for (CompletableFuture<Void> f : fs) {
      assertThat(f).as("close writes everything handed over").isCompleted().isNotCompletedExceptionally();
    }
    assertThat(s.write(append(401, 401, 3))).isCompletedExceptionally();
    try (ChronicleLogStore r = ChronicleLogStore.open(image, OPTS)) {
      PersistentState ps = r.load();
      assertThat(ps.hardState()).isEqualTo(new HardState(3, "n3"));
      assertThat(ps.entries().size()).isGreaterThanOrEqualTo((int) acknowledged);
      for (LogEntry e : ps.entries()) {
        assertThat(e.data()).isEqualTo(entries(e.index(), e.index(), 3).get(0).data());
      }
    }
  }

  @Test
  void snapshotsAreReplacedAtomicallyAndLeftoversCleanedUp(@TempDir Path dir) throws Exception {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(append(1, 50, 1)).join();
      s.write(new LogWrite(null, new Snapshot(20, 1, "first".getBytes()), List.of(), 50, 1)).join();
      s.write(new LogWrite(null, new Snapshot(40, 1, "second".getBytes()), List.of(), 50, 1)).join();
    }
    Path snaps = dir.resolve("snapshots");
    assertThat(list(snaps)).hasSize(1).allMatch(n -> n.endsWith(".snap"));
    // A crash while writing a third snapshot leaves a temp file and, worse, an uncommitted file.
    Files.write(snaps.resolve("snapshot-0000000000000000003.snap.tmp"), new byte[] {1, 2});
    Files.write(snaps.resolve("snapshot-0000000000000000004.snap"), new byte[] {1, 2, 3});
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      PersistentState ps = s.load();
      assertThat(ps.snapshot().index()).isEqualTo(40);
      assertThat(ps.snapshot().data()).isEqualTo("second".getBytes());
      assertSameEntries(ps.entries(), entries(41, 50, 1), "after snapshot");
      assertThat(list(snaps)).hasSize(1);
      // The next snapshot does not collide with the leftover's sequence number.
      s.write(new LogWrite(null, new Snapshot(45, 1, "third".getBytes()), List.of(), 50, 1)).join();
    }
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      assertThat(s.load().snapshot().data()).isEqualTo("third".getBytes());
    }
  }

  @Test
  void snapshotMembershipSurvivesReopen(@TempDir Path dir) {
    Membership joint = new Membership(Set.of("n1", "n2", "n4"), Set.of("n1", "n2", "n3"), Set.of("l1", "l2"));
    Membership plain = Membership.of(Set.of("n1", "n2", "n4"), Set.of("l1"));
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(append(1, 20, 1)).join();
      s.write(new LogWrite(null, new Snapshot(10, 1, joint, "joint".getBytes()), List.of(), 20, 1)).join();
    }
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      Snapshot snap = s.load().snapshot();
      assertThat(snap.membership()).isEqualTo(joint);
      assertThat(snap.data()).isEqualTo("joint".getBytes());
      s.write(new LogWrite(null, new Snapshot(15, 1, plain, "plain".getBytes()), List.of(), 20, 1)).join();
    }
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      PersistentState ps = s.load();
      assertThat(ps.snapshot().index()).isEqualTo(15);
      assertThat(ps.snapshot().membership()).isEqualTo(plain);
      assertSameEntries(ps.entries(), entries(16, 20, 1), "after reopen");
    }
  }

  @Test
  void snapshotWithoutMembershipComesBackWithout(@TempDir Path dir) {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(append(1, 20, 1)).join();
      s.write(new LogWrite(null, new Snapshot(10, 1, "none".getBytes()), List.of(), 20, 1)).join();
    }
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      Snapshot snap = s.load().snapshot();
      assertThat(snap.index()).isEqualTo(10);
      assertThat(snap.membership()).isNull();
      assertThat(snap.data()).isEqualTo("none".getBytes());
    }
  }

  @Test
  void snapshotFileOfTheFormerFormatStillOpens(@TempDir Path dir) throws Exception {
    byte[] data = "written by RFS1".getBytes();
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(append(1, 20, 1)).join();
      s.write(new LogWrite(null, new Snapshot(10, 1, Membership.ofVoters(List.of("n1")), data), List.of(), 20, 1))
          .join();
    }
    Path file = onlySnapshotFile(dir);
    ByteBuffer current = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(current.getInt(0)).as("written as RFS2").isEqualTo(0x52465332);
    // The same snapshot as the previous version wrote it: magic | seq | index | term | length | data | crc32c.
    ByteBuffer old = ByteBuffer.allocate(4 + 8 + 8 + 8 + 4 + data.length + 4).order(ByteOrder.LITTLE_ENDIAN);
    old.putInt(0x52465331).putLong(current.getLong(4)).putLong(10).putLong(1).putInt(data.length).put(data);
    CRC32C crc = new CRC32C();
    crc.update(old.array(), 0, old.position());
    old.putInt((int) crc.getValue());
    Files.write(file, old.array());

    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      PersistentState ps = s.load();
      assertThat(ps.snapshot().index()).isEqualTo(10);
      assertThat(ps.snapshot().term()).isEqualTo(1);
      assertThat(ps.snapshot().membership()).as("RFS1 records none").isNull();
      assertThat(ps.snapshot().data()).isEqualTo(data);
      assertSameEntries(ps.entries(), entries(11, 20, 1), "after reopen");
    }
  }

  /** The one snapshot file of a closed store. */
  static Path onlySnapshotFile(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir.resolve("snapshots"))) {
      List<Path> snaps = s.filter(p -> p.toString().endsWith(".snap")).toList();
      assertThat(snaps).hasSize(1);
      return snaps.get(0);
    }
  }

  @Test
  void snapshotWithAnotherTermDiscardsTheWholeLog(@TempDir Path dir) {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(append(1, 50, 1)).join();
      s.write(new LogWrite(new HardState(5, null), new Snapshot(30, 4, new byte[] {9}), entries(31, 32, 5), 32, 5)).join();
      assertThat(s.firstIndex()).isEqualTo(31);
      assertThat(s.lastIndex()).isEqualTo(32);
    }
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      PersistentState ps = s.load();
      assertThat(ps.snapshot().term()).isEqualTo(4);
      assertSameEntries(ps.entries(), entries(31, 32, 5), "after reopen");
    }
  }

  @Test
  void compactionDeletesWholeCycleFiles(@TempDir Path dir) throws Exception {
    ChronicleLogStore.Options small = OPTS.withSegmentBytes(8 << 10); // two 100-entry batches per cycle
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, small)) {
      s.load();
      for (int i = 0; i < 20; i++) {
        s.write(append(i * 100L + 1, i * 100L + 100, 1)).join();
      }
      int before = StoreFiles.cycleFileCount(dir);
      assertThat(before).isGreaterThan(5);
      s.write(new LogWrite(null, new Snapshot(1990, 1, new byte[100]), List.of(), 2000, 1)).join();
      assertThat(StoreFiles.cycleFileCount(dir)).as("only the cycles holding entries 1991.. and the snapshot record remain")
          .isLessThanOrEqualTo(2);
      assertThat(s.read(1995).index()).isEqualTo(1995);
    }
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, small)) {
      PersistentState ps = s.load();
      assertSameEntries(ps.entries(), entries(1991, 2000, 1), "after compaction and reopen");
    }
  }

  @Test
  void oneStorePerDirectory(@TempDir Path dir) {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      assertThatThrownBy(() -> ChronicleLogStore.open(dir, OPTS)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("in use");
    }
    ChronicleLogStore.open(dir, OPTS).close(); // released on close
  }

  @Test
  void badWritesAreRefusedAndClosedStoreFailsWrites(@TempDir Path dir) {
    ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS);
    assertThat(s.write(append(1, 1, 1))).as("before load").isCompletedExceptionally();
    s.load();
    s.write(append(1, 10, 1)).join();
    assertThatThrownBy(() -> s.write(append(12, 12, 1))).hasMessageContaining("gap");
    s.write(new LogWrite(null, new Snapshot(5, 1, new byte[0]), List.of(), 10, 1)).join();
    assertThatThrownBy(() -> s.write(append(4, 4, 1))).hasMessageContaining("covered by snapshot");
    s.close();
    s.close(); // idempotent
    assertThat(s.write(append(11, 11, 1))).isCompletedExceptionally();
  }

  private static List<String> list(Path d) throws Exception {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).toList();
    }
  }
}

package dev.raftflow.storage.chronicle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.SnapshotData;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import dev.raftflow.engine.spi.SnapshotSink;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots staged in the store's directory: stored by renaming (RFS3), read back by position, checked. */
class StagedSnapshotFileTest {
  private static final ChronicleLogStore.Options OPTS = TestStoreOptions.SMALL;
  private static final long SIZE = 3L << 20;

  @Test
  void aStagedSnapshotIsStoredByRenamingAndReadBackFromItsFile(@TempDir Path dir) throws Exception {
    Membership m = Membership.ofVoters(List.of("n1", "n2"));
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(new LogWrite(null, new Snapshot(10, 2, m, stage(s)), List.of(), 10, 2)).join();
      assertThat(staged(dir)).as("the staged file became the snapshot file").isEmpty();
    }
    Path file = DurabilityTest.onlySnapshotFile(dir);
    ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(all.getInt(all.capacity() - 48)).as("an RFS3 trailer").isEqualTo(0x52465333);
    assertThat(all.getLong(0)).as("the data first").isEqualTo(ByteBuffer.wrap(generated(8)).order(ByteOrder.LITTLE_ENDIAN).getLong());
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      PersistentState ps = s.load();
      assertThat(ps.snapshot().index()).isEqualTo(10);
      assertThat(ps.snapshot().term()).isEqualTo(2);
      assertThat(ps.snapshot().membership()).isEqualTo(m);
      assertThat(ps.snapshot().size()).isEqualTo(SIZE);
      try (InputStream in = ps.snapshot().content().openStream()) {
        assertThat(SnapshotCluster.crcOf(in)).isEqualTo(SnapshotCluster.expectedCrc(SIZE, 10));
      }
    }
    all.put(1000, (byte) (all.get(1000) ^ 1));
    Files.write(file, all.array());
    ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS);
    assertThatThrownBy(s::load).isInstanceOf(StoreRefusedException.class).hasMessageContaining("checksum mismatch")
        .hasMessageContaining(file.toString());
    s.close();
  }

  @Test
  void whatACrashLeftStagedIsDeletedWhenTheStoreOpens(@TempDir Path dir) throws Exception {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      SnapshotSink sink = s.snapshotStaging().begin(-1);
      sink.write(ByteBuffer.wrap(new byte[1000]));
      assertThat(staged(dir)).hasSize(1); // no finish, no abort: as a crash leaves it
    }
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      assertThat(staged(dir)).isEmpty();
    }
  }

  @Test
  void anAbortedSnapshotLeavesNothing(@TempDir Path dir) throws Exception {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      SnapshotSink sink = s.snapshotStaging().begin(-1);
      sink.write(ByteBuffer.wrap(new byte[1000]));
      sink.abort();
      assertThat(staged(dir)).isEmpty();
      assertThatThrownBy(() -> sink.write(ByteBuffer.allocate(1))).isInstanceOf(IllegalStateException.class);
    }
  }

  private static SnapshotData stage(ChronicleLogStore s) throws Exception {
    SnapshotSink sink = s.snapshotStaging().begin(SIZE);
    try (var out = sink.asOutputStream()) {
      SnapshotCluster.generate(out, SIZE, 10);
    }
    assertThat(sink.written()).isEqualTo(SIZE);
    return sink.finish();
  }

  private static byte[] generated(int n) throws Exception {
    var out = new java.io.ByteArrayOutputStream();
    SnapshotCluster.generate(out, n, 10);
    return out.toByteArray();
  }

  private static List<Path> staged(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir.resolve("snapshots"))) {
      return s.filter(p -> p.getFileName().toString().startsWith("staged-")).toList();
    }
  }
}

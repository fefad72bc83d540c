package dev.raftflow.storage.chronicle;

import static dev.raftflow.storage.chronicle.HostGroupCommitTest.append;
import static dev.raftflow.storage.chronicle.StoreAssertions.assertSameState;
import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.Snapshot;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compaction of the shared log: a cycle file is deleted only once no group needs a record in it;
 * {@link ChronicleHostLogStore#pinningGroups()} names the groups holding the oldest one, and a
 * snapshot (or deleting the group) releases it. Every group recovers its state afterwards.
 */
class HostCompactionTest {

  @Test
  void cycleFilesGoOnlyWhenNoGroupNeedsThem(@TempDir Path dir) throws Exception {
    ChronicleLogStore.Options opts = TestStoreOptions.SMALL.withSegmentBytes(8 << 10).withRollOnSnapshotBytes(0);
    Map<String, MemoryLogStore> models = Map.of("busy", new MemoryLogStore(), "idle", new MemoryLogStore(),
        "third", new MemoryLogStore());
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, opts)) {
      LogStore busy = host.openGroup("busy");
      LogStore idle = host.openGroup("idle");
      LogStore third = host.openGroup("third");
      busy.load();
      idle.load();
      third.load();
      // more live entries than compaction writes forward: they stay until a snapshot
      int big = HostRoundWriter.REWRITE_MAX_ENTRIES + 10;
      write(busy, models.get("busy"), append(1, 10, 1, "busy"));
      write(idle, models.get("idle"), append(1, big, 1, "idle"));
      write(third, models.get("third"), append(1, big, 1, "third"));
      for (int k = 1; k < 60; k++) {
        write(busy, models.get("busy"), append(1 + 10L * k, 10, 1, "busy"));
      }
      List<Path> files = cycleFiles(dir);
      assertThat(files).as("the groups filled several cycle files").hasSizeGreaterThanOrEqualTo(4);
      // busy and idle wrote to the first file; third's record starts the second
      assertThat(host.pinningGroups()).containsExactlyInAnyOrder("busy", "idle");

      write(busy, models.get("busy"), snapshot(600, 1, "busy"));
      assertThat(cycleFiles(dir)).as("idle still needs the first file").startsWith(files.get(0), files.get(1));
      assertThat(host.pinningGroups()).containsExactly("idle");

      write(idle, models.get("idle"), snapshot(big, 1, "idle"));
      assertThat(cycleFiles(dir)).as("the first file went; third still needs the second")
          .doesNotContain(files.get(0)).startsWith(files.get(1));
      assertThat(host.pinningGroups()).containsExactly("third");

      third.close();
      host.deleteGroup("third");
      long until = System.nanoTime() + 10_000_000_000L;
      while (host.cycleFileCount() > 3 && System.nanoTime() < until) {
        Thread.sleep(10);
      }
      assertThat(host.cycleFileCount()).as("no group needs the old files any more").isLessThanOrEqualTo(3);
      assertThat(host.pinningGroups()).doesNotContain("idle", "third");
      write(busy, models.get("busy"), append(601, 3, 1, "busy"));
    }
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, opts)) {
      assertThat(host.groups()).containsExactlyInAnyOrder("busy", "idle");
      for (String g : List.of("busy", "idle")) {
        assertSameState(host.openGroup(g).load(), models.get(g).load(), g + " after compaction and restart");
      }
    }
  }

  @Test
  void smallGroupsPinningTheOldestFileAreWrittenForward(@TempDir Path dir) {
    ChronicleLogStore.Options opts = TestStoreOptions.SMALL.withSegmentBytes(8 << 10).withRollOnSnapshotBytes(0);
    Map<String, MemoryLogStore> models = Map.of("busy", new MemoryLogStore(), "idle", new MemoryLogStore(),
        "small", new MemoryLogStore());
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, opts)) {
      LogStore busy = host.openGroup("busy");
      LogStore idle = host.openGroup("idle");
      LogStore small = host.openGroup("small");
      busy.load();
      idle.load();
      small.load();
      write(idle, models.get("idle"), append(1, 5, 3, "idle")); // with a hard state
      write(small, models.get("small"), append(1, 10, 2, "small"));
      write(small, models.get("small"), new LogWrite(new dev.raftflow.engine.spi.HardState(4, "x"),
          new Snapshot(6, 2, "small at 6".getBytes()), List.of(), 10, 2));
      write(small, models.get("small"), append(11, 2, 4, "small"));
      // busy has too many live entries to be written forward: the old files stay until it snapshots
      int n = HostRoundWriter.REWRITE_MAX_ENTRIES + 10;
      write(busy, models.get("busy"), append(1, n, 1, "busy"));
      for (int k = 0; k < 40; k++) {
        write(busy, models.get("busy"), append(n + 1, 20, 1, "busy"));
        n += 20;
      }
      assertThat(host.cycleFileCount()).isGreaterThanOrEqualTo(4);
      write(busy, models.get("busy"), snapshot(n, 1, "busy"));
      assertThat(host.cycleFileCount()).as("idle and small were written forward: the old files went")
          .isLessThanOrEqualTo(3);
      assertThat(host.pinningGroups()).doesNotContain("idle", "small");
      for (String g : List.of("busy", "idle", "small")) { // reads see the copies
        HostGroupStore s = (HostGroupStore) (g.equals("busy") ? busy : g.equals("idle") ? idle : small);
        for (var e : models.get(g).load().entries()) {
          StoreAssertions.assertSameEntry(s.entryReader().read(e.index()), e, g + " read after rewrite");
        }
      }
    }
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, opts)) {
      for (String g : List.of("busy", "idle", "small")) {
        assertSameState(host.openGroup(g).load(), models.get(g).load(), g + " after rewrite and restart");
      }
    }
  }

  private static List<Path> cycleFiles(Path dir) throws java.io.IOException {
    try (var s = java.nio.file.Files.list(dir.resolve("queue"))) {
      return s.filter(p -> p.toString().endsWith(".cq4")).sorted().toList();
    }
  }

  private static void write(LogStore store, MemoryLogStore model, LogWrite w) {
    model.write(w);
    store.write(w).join();
  }

  private static LogWrite snapshot(long index, long term, String group) {
    return new LogWrite(null, new Snapshot(index, term, (group + " state at " + index).getBytes()), List.of(), index, term);
  }
}

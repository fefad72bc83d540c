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
      write(idle, models.get("idle"), append(1, 1, 1, "idle"));
      write(third, models.get("third"), append(1, 1, 1, "third"));
      for (int k = 0; k < 60; k++) {
        write(busy, models.get("busy"), append(1 + 10L * k, 10, 1, "busy"));
      }
      int before = host.cycleFileCount();
      assertThat(before).as("the busy group filled several cycle files").isGreaterThanOrEqualTo(4);
      assertThat(host.pinningGroups()).containsExactlyInAnyOrder("busy", "idle", "third");

      write(busy, models.get("busy"), snapshot(600, 1, "busy"));
      assertThat(host.cycleFileCount()).as("idle and third still need the first file").isGreaterThanOrEqualTo(before);
      assertThat(host.pinningGroups()).containsExactlyInAnyOrder("idle", "third");

      write(idle, models.get("idle"), snapshot(1, 1, "idle"));
      assertThat(host.cycleFileCount()).as("third still needs the first file").isGreaterThanOrEqualTo(before);
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

  private static void write(LogStore store, MemoryLogStore model, LogWrite w) {
    model.write(w);
    store.write(w).join();
  }

  private static LogWrite snapshot(long index, long term, String group) {
    return new LogWrite(null, new Snapshot(index, term, (group + " state at " + index).getBytes()), List.of(), index, term);
  }
}

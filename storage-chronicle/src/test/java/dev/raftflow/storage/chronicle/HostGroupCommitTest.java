package dev.raftflow.storage.chronicle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.LogWrite;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit across groups: writes of many groups handed over together are made durable by
 * fewer syncs than there are writes, each group's futures complete in its call order, and all of
 * it reads back after a restart.
 */
class HostGroupCommitTest {

  static LogWrite append(long from, int n, long term, String group) {
    List<LogEntry> es = new ArrayList<>();
    for (long i = from; i < from + n; i++) {
      es.add(LogEntry.command(i, term, (group + " entry " + i + "@" + term + " payload").getBytes(StandardCharsets.UTF_8)));
    }
    return new LogWrite(from == 1 ? new HardState(term, group) : null, null, es, from + n - 1, term);
  }

  @Test
  void manyGroupsWritesShareSyncs(@TempDir Path dir) throws Exception {
    int groups = 32;
    int writesPerGroup = 8;
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL)) {
      List<LogStore> stores = new ArrayList<>();
      for (int g = 0; g < groups; g++) {
        LogStore s = host.openGroup("g" + g);
        s.load();
        stores.add(s);
      }
      // One thread per group (each group's loop), released together.
      CountDownLatch go = new CountDownLatch(1);
      List<List<Integer>> completions = new ArrayList<>();
      List<Thread> loops = new ArrayList<>();
      List<CompletableFuture<Void>> all = Collections.synchronizedList(new ArrayList<>());
      long syncsBefore = host.syncCount();
      for (int g = 0; g < groups; g++) {
        LogStore s = stores.get(g);
        String name = "g" + g;
        List<Integer> done = Collections.synchronizedList(new ArrayList<>());
        completions.add(done);
        Thread t = new Thread(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            return;
          }
          for (int k = 0; k < writesPerGroup; k++) {
            int n = k;
            all.add(s.write(append(1 + 4L * k, 4, 1, name)).thenRun(() -> done.add(n)));
          }
        });
        t.start();
        loops.add(t);
      }
      go.countDown();
      for (Thread t : loops) {
        t.join();
      }
      for (CompletableFuture<Void> f : all) {
        f.join();
      }
      long syncs = host.syncCount() - syncsBefore;
      int writes = groups * writesPerGroup;
      System.out.printf("HostGroupCommitTest: %d writes of %d groups made durable by %d syncs (%.1f writes per sync)%n",
          writes, groups, syncs, (double) writes / syncs);
      assertThat(syncs).as("syncs for " + writes + " writes of " + groups + " groups").isPositive()
          .isLessThanOrEqualTo(writes / 4);
      for (int g = 0; g < groups; g++) {
        List<Integer> expected = new ArrayList<>();
        for (int k = 0; k < writesPerGroup; k++) {
          expected.add(k);
        }
        assertThat(completions.get(g)).as("group g" + g + "'s futures in call order").containsExactlyElementsOf(expected);
      }
    }
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL)) {
      assertThat(host.groups()).hasSize(groups);
      for (int g = 0; g < groups; g++) {
        List<LogEntry> es = host.openGroup("g" + g).load().entries();
        assertThat(es).as("g" + g).hasSize(4 * writesPerGroup);
        assertThat(new String(es.get(es.size() - 1).data(), StandardCharsets.UTF_8))
            .isEqualTo("g" + g + " entry " + 4 * writesPerGroup + "@1 payload");
      }
    }
  }

  @Test
  void inlineWritesAreDurableOnReturn(@TempDir Path dir) {
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL.withInline(true))) {
      for (String g : List.of("x", "y")) {
        LogStore s = host.openGroup(g);
        s.load();
        assertThat(s.write(append(1, 3, 1, g))).as(g + ": done on return").isCompleted();
      }
    }
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL.withInline(true))) {
      assertThat(host.openGroup("y").load().entries()).hasSize(3);
    }
  }

  @Test
  void groupsAreOpenOnceAndDeletedOnlyWhenClosed(@TempDir Path dir) {
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL)) {
      LogStore a = host.openGroup("a");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> host.openGroup("a"))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("already open");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> host.deleteGroup("a"))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("is open");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> host.openGroup(""))
          .isInstanceOf(IllegalArgumentException.class);
      a.load();
      a.write(append(1, 3, 1, "a")).join();
      a.close();
      assertThat(host.groups()).containsExactly("a");
      host.deleteGroup("a");
      assertThat(host.groups()).isEmpty();
      assertThat(host.openGroup("a").load().entries()).as("a new, empty group").isEmpty();
    }
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL)) {
      assertThat(host.groups()).containsExactly("a");
      assertThat(host.openGroup("a").load().entries()).as("the deleted group's records stay garbage").isEmpty();
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ChronicleLogStore.open(dir, TestStoreOptions.SMALL).load())
        .as("a single-group store refuses a host directory").isInstanceOf(StoreRefusedException.class)
        .hasMessageContaining("raftflow-chronicle-host-log format 1");
  }
}

package dev.raftflow.storage.chronicle;

import static dev.raftflow.storage.chronicle.HostGroupCommitTest.append;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.PersistentState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damage in the shared log: inside one group's acknowledged records, that group's {@code load()}
 * refuses naming the group, the file and the queue index, and the other groups load everything;
 * beyond the watermark it is a torn tail, cut for every group, and the host writes on.
 */
class HostCorruptionTest {

  @Test
  void damageInOneGroupIsRefusedByThatGroupOnly(@TempDir Path dir) throws IOException {
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL)) {
      for (String g : List.of("a", "b", "c")) {
        LogStore s = host.openGroup(g);
        s.load();
        s.write(append(1, 20, 1, g)).join();
      }
    }
    CorruptionTest.flipByteOf(dir, "b entry 12@1 ");
    for (int k = 0; k < 2; k++) { // refusing changes nothing: it refuses again
      try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL)) {
        LogStore b = host.openGroup("b");
        assertThatThrownBy(b::load).isInstanceOf(StoreRefusedException.class)
            .hasMessageContaining("group 'b'").hasMessageContaining("queue index").hasMessageContaining(".cq4")
            .hasMessageContaining("acknowledged")
            .satisfies(e -> assertThat(((StoreRefusedException) e).recovery())
                .isEqualTo(StoreRefusedException.Recovery.DELETE_GROUP_AND_REJOIN));
        for (String g : List.of("a", "c")) {
          LogStore s = host.openGroup(g);
          PersistentState ps = s.load();
          assertThat(ps.entries()).as(g).hasSize(20 + k);
          assertThat(new String(ps.entries().get(11).data(), StandardCharsets.UTF_8)).isEqualTo(g + " entry 12@1 payload");
          s.write(append(21 + k, 1, 1, g)).join();
          s.close();
        }
      }
    }
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL)) {
      assertThat(host.openGroup("a").load().entries()).hasSize(22);
      host.deleteGroup("b"); // the operator's way out: the group starts over
      assertThat(host.openGroup("b").load().entries()).isEmpty();
    }
  }

  @Test
  void recordsNoGroupCanBeBlamedForRefuseTheHost(@TempDir Path dir) throws IOException {
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL)) {
      LogStore a = host.openGroup("a");
      a.load();
      a.write(append(1, 5, 1, "a")).join();
    }
    Files.write(dir.resolve("groups"), new byte[0]); // the table lost: group number 1 means nothing
    for (int k = 0; k < 2; k++) {
      assertThatThrownBy(() -> ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL))
          .isInstanceOf(StoreRefusedException.class).hasMessageContaining("group number 1 is not in the group table")
          .hasMessageContaining("queue index").hasMessageContaining(".cq4");
    }
  }

  @Test
  void damagedTailBeyondTheWatermarkIsCutForEveryGroup(@TempDir Path dir) throws IOException {
    byte[] ackBefore;
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL)) {
      for (String g : List.of("a", "b")) {
        LogStore s = host.openGroup(g);
        s.load();
        s.write(append(1, 10, 1, g)).join();
      }
    }
    ackBefore = Files.readAllBytes(dir.resolve("ack"));
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL)) {
      LogStore a = host.openGroup("a");
      LogStore b = host.openGroup("b");
      a.load();
      b.load();
      b.write(append(11, 5, 1, "b")).join();
      a.write(append(11, 5, 1, "a")).join();
    }
    Files.write(dir.resolve("ack"), ackBefore); // as if the process died before acknowledging them
    CorruptionTest.flipByteOf(dir, "b entry 13@1 ");
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL)) {
      List<LogEntry> a = host.openGroup("a").load().entries();
      LogStore b = host.openGroup("b");
      assertThat(b.load().entries()).as("b: its damaged batch is cut").hasSize(10);
      assertThat(a).as("a: written after the damage, cut with it").hasSize(10);
      b.write(append(11, 2, 2, "b")).join();
    }
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL)) {
      assertThat(host.openGroup("b").load().entries()).as("the cut stays, the new writes count").hasSize(12);
    }
  }
}

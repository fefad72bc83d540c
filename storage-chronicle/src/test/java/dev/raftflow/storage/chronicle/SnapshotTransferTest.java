package dev.raftflow.storage.chronicle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.spi.PersistentState;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streamed snapshots between Chronicle stores: a member cut off catches up from the leader's
 * snapshot, restored as a stream; a transfer cut short by the receiver's crash or by a leader change
 * starts over and completes.
 */
class SnapshotTransferTest {
  private static final long SIZE = 8L << 20;
  private static final int CHUNK = 64 << 10;

  @Test
  void aMemberCutOffCatchesUpFromTheStreamedSnapshot(@TempDir Path dir) throws Exception {
    try (SnapshotCluster cluster = new SnapshotCluster(dir, CHUNK)) {
      long index = snapshotWhileCIsCutOff(cluster, false);
      long last = cluster.propose(cluster.leader(Duration.ofSeconds(5)), 3);
      cluster.net.reconnect("c");
      awaitRestored(cluster, index, last);
      cluster.stop("c");
      try (ChronicleLogStore again = ChronicleLogStore.open(dir.resolve("c"), TestStoreOptions.SMALL)) {
        PersistentState ps = again.load();
        try (InputStream in = ps.snapshot().content().openStream()) {
          assertThat(SnapshotCluster.crcOf(in)).as("the snapshot c stored").isEqualTo(SnapshotCluster.expectedCrc(SIZE, index));
        }
        assertThat(ps.snapshot().index()).isEqualTo(index);
      }
    }
  }

  @Test
  void aTransferCutByTheReceiversCrashStartsOverAndCompletes(@TempDir Path dir) throws Exception {
    try (SnapshotCluster cluster = new SnapshotCluster(dir, CHUNK)) {
      long index = snapshotWhileCIsCutOff(cluster, false);
      cluster.chunkDelayMicros = 4000; // about half a second for the 128 chunks
      cluster.net.reconnect("c");
      SnapshotCluster.await(() -> cluster.staged("c") >= 1 << 20, Duration.ofSeconds(20), "c receiving chunks");
      cluster.stop("c"); // mid-transfer
      assertThat(cluster.staged("c")).as("what c had staged, left behind").isPositive().isLessThan(SIZE);
      assertThat(cluster.restored).doesNotContainKey("c");
      cluster.chunkDelayMicros = 0;
      cluster.start("c");
      awaitRestored(cluster, index, index);
    }
  }

  @Test
  void aTransferCutByALeaderChangeCompletesFromTheNewLeader(@TempDir Path dir) throws Exception {
    try (SnapshotCluster cluster = new SnapshotCluster(dir, CHUNK)) {
      long index = snapshotWhileCIsCutOff(cluster, true);
      RaftNode first = cluster.leader(Duration.ofSeconds(5));
      cluster.chunkDelayMicros = 4000;
      cluster.net.reconnect("c");
      SnapshotCluster.await(() -> cluster.staged("c") >= 1 << 20, Duration.ofSeconds(20), "c receiving chunks");
      cluster.net.isolate(first.id()); // the leader goes away mid-transfer
      SnapshotCluster.await(() -> cluster.nodes.values().stream()
          .anyMatch(n -> n != first && n.state().isLeader()), Duration.ofSeconds(20), "another leader");
      assertThat(cluster.restored).as("not installed from the first leader").doesNotContainKey("c");
      cluster.chunkDelayMicros = 0;
      awaitRestored(cluster, index, index);
    }
  }

  /**
   * Cuts c off, elects a leader among a and b, commits some entries and takes a streamed snapshot
   * on the leader (on both when {@code both}, so that either can send it). Returns its index.
   */
  private static long snapshotWhileCIsCutOff(SnapshotCluster cluster, boolean both) throws Exception {
    cluster.net.isolate("c");
    for (String id : SnapshotCluster.MEMBERS) {
      cluster.start(id);
    }
    RaftNode leader = cluster.leader(Duration.ofSeconds(20));
    long index = cluster.propose(leader, 20);
    for (RaftNode n : cluster.nodes.values()) {
      if (n == leader || (both && !n.id().equals("c"))) {
        SnapshotCluster.await(() -> cluster.applied.get(n.id()) >= index, Duration.ofSeconds(10), "applied");
        SnapshotCluster.snapshot(n, index, SIZE);
      }
    }
    return index;
  }

  private static void awaitRestored(SnapshotCluster cluster, long index, long last) throws Exception {
    SnapshotCluster.await(() -> cluster.restored.containsKey("c") && cluster.applied.get("c") >= last,
        Duration.ofSeconds(60), "c restored from the snapshot");
    SnapshotCluster.Restored r = cluster.restored.get("c");
    assertThat(r.size()).isEqualTo(SIZE);
    assertThat(r.index()).isEqualTo(index);
    assertThat(r.crc()).as("the bytes c restored").isEqualTo(SnapshotCluster.expectedCrc(SIZE, index));
  }
}

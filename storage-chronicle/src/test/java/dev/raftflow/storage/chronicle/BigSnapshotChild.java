package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.spi.PersistentState;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A child JVM (run with a small heap) that snapshots a generated state of {@code args[1]} MiB on
 * the leader of a three-member Chronicle cluster, streamed, sends it to the member cut off meanwhile
 * and restores it there as a stream, then reads it back from that member's store. Prints {@code
 * RESULT size crc transferMillis peakHeapBytes snapshotMillis maxHeapBytes} and exits 0, or exits 1 with the failure on stderr.
 * Arguments: directory, MiB, chunk bytes.
 */
public final class BigSnapshotChild {
  private BigSnapshotChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long size = Long.parseLong(args[1]) << 20;
    int chunk = Integer.parseInt(args[2]);
    try (SnapshotCluster cluster = new SnapshotCluster(dir, chunk)) {
      cluster.net.isolate("c");
      for (String id : SnapshotCluster.MEMBERS) {
        cluster.start(id);
      }
      RaftNode leader = cluster.leader(Duration.ofSeconds(20));
      long index = cluster.propose(leader, 20);
      long t0 = System.nanoTime();
      SnapshotCluster.snapshot(leader, index, size);
      long tookSnapshot = System.nanoTime();
      // the other live member snapshots too (as a service does everywhere): whoever leads when c comes
      // back must send it a snapshot, even if leadership moved meanwhile (a 200 ms election timeout in
      // a 64 MiB heap writing 256 MiB: a CI run saw b take over and catch c up from its log)
      for (String id : SnapshotCluster.MEMBERS) {
        if (!id.equals("c") && !id.equals(leader.id())) {
          SnapshotCluster.await(() -> cluster.applied.getOrDefault(id, 0L) >= index, Duration.ofSeconds(30),
              id + " applied the entries the snapshot covers");
          SnapshotCluster.snapshot(cluster.nodes.get(id), index, size);
        }
      }
      long last = cluster.propose(leader, 5);
      long t1 = System.nanoTime();
      cluster.net.reconnect("c");
      try {
        SnapshotCluster.await(() -> cluster.restored.containsKey("c") && cluster.applied.get("c") >= last,
            Duration.ofSeconds(90), "c restored from the snapshot");
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + ": leader " + leader + " followers " + leader.followers() + ", c "
            + cluster.nodes.get("c") + " applied " + cluster.applied.get("c") + " staged " + cluster.staged("c")
            + ", metrics of c " + cluster.nodes.get("c").metrics(), e);
      }
      long t2 = System.nanoTime();
      SnapshotCluster.Restored r = cluster.restored.get("c");
      int expected = SnapshotCluster.expectedCrc(size, index);
      if (r.size() != size || r.crc() != expected || r.index() != index) {
        throw new AssertionError("c restored " + r + ", expected " + size + " bytes of crc " + expected + " at " + index);
      }
      cluster.stop("c");
      try (ChronicleLogStore again = ChronicleLogStore.open(dir.resolve("c"), TestStoreOptions.SMALL)) {
        PersistentState ps = again.load();
        int crc;
        try (InputStream in = ps.snapshot().content().openStream()) {
          crc = SnapshotCluster.crcOf(in);
        }
        if (ps.snapshot().size() != size || crc != expected) {
          throw new AssertionError("c's store holds " + ps.snapshot() + " of crc " + crc);
        }
      }
      System.out.println("RESULT " + size + " " + expected + " " + (t2 - t1) / 1_000_000 + " " + peakHeap()
          + " " + (tookSnapshot - t0) / 1_000_000 + " " + Runtime.getRuntime().maxMemory());
    } catch (Throwable e) {
      e.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  /** The sum of the heap pools' peaks (an upper bound: each pool peaked at its own time). */
  static long peakHeap() {
    long sum = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        sum += p.getPeakUsage().getUsed();
      }
    }
    return sum;
  }
}

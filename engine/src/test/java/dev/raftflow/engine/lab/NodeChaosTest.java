package dev.raftflow.engine.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.sim.SimThread;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The lab's unreliable churn (partitions, crashes, restarts, lost and reordered messages), driven
 * through the whole {@code RaftNode}, with writers, linearizable readers and leadership transfers
 * running at once. Checked: every read a node answers covers every entry applied anywhere before
 * the read was asked, and the node has applied it; no two servers apply different values at an
 * index (the harness checks that on every apply); the group commits again once the faults stop.
 */
public class NodeChaosTest extends LabTestBase {

  private static final long TIMEOUT = LabCluster.RAFT_ELECTION_TIMEOUT;

  @Test
  public void readsStayLinearizableAndTransfersStaySafeUnderChurn() {
    int servers = 5;
    try (LabCluster cfg = make(servers, true, false)) {
      cfg.begin("reads, transfers and writes under unreliable churn");
      boolean[] stop = {false};
      long[] appliedSomewhere = {0}; // highest index seen applied by any server, only grows
      int[] readsAnswered = {0};
      int[] transfersDone = {0};
      List<SimThread> threads = new ArrayList<>();
      for (int c = 0; c < 2; c++) {
        int me = c;
        threads.add(cfg.go("writer-" + me, () -> {
          while (!stop[0]) {
            int i = cfg.randInt() % servers;
            if (cfg.isAlive(i)) {
              cfg.start(i, 1000 * me + cfg.randInt() % 1000);
            }
            cfg.sleep(10 + cfg.randInt() % 40);
          }
        }));
      }
      threads.add(cfg.go("reader", () -> {
        while (!stop[0]) {
          int i = cfg.randInt() % servers;
          if (cfg.isAlive(i) && cfg.state(i).isLeader()) {
            while (cfg.nCommitted(appliedSomewhere[0] + 1).count() > 0) {
              appliedSomewhere[0]++;
            }
            long before = appliedSomewhere[0];
            CompletableFuture<Long> read = cfg.readIndex(i);
            if (cfg.settle(read, 3_000) && !read.isCompletedExceptionally()) {
              long at = read.join();
              assertThat(at).as("read at server %d covers index %d applied before it was asked", i, before)
                  .isGreaterThanOrEqualTo(before);
              assertThat(at == 0 || cfg.hasApplied(i, at)).as("server %d applied its read index %d", i, at).isTrue();
              readsAnswered[0]++;
            }
          }
          cfg.sleep(5 + cfg.randInt() % 20);
        }
      }));
      threads.add(cfg.go("mover", () -> {
        while (!stop[0]) {
          cfg.sleep(300 + cfg.randInt() % 700);
          int i = cfg.randInt() % servers;
          if (cfg.isAlive(i) && cfg.state(i).isLeader()) {
            CompletableFuture<Void> moved = cfg.transferLeadership(i, cfg.randInt() % servers);
            if (cfg.settle(moved, 3_000) && !moved.isCompletedExceptionally()) {
              transfersDone[0]++;
            }
          }
        }
      }));
      for (int iters = 0; iters < 30; iters++) {
        cfg.churnRound();
        cfg.sleep((TIMEOUT * 7) / 10);
      }
      cfg.setUnreliable(false);
      cfg.restartAndConnectAll();
      stop[0] = true;
      for (SimThread t : threads) {
        t.join(60_000);
      }
      cfg.one(cfg.randInt(), servers, true);
      assertThat(readsAnswered[0]).as("reads answered during the run").isPositive();
      System.out.printf("chaos: %d reads answered, %d leadership transfers completed%n", readsAnswered[0],
          transfersDone[0]);
      cfg.end();
    }
  }
}

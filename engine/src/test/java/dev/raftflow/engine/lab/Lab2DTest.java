package dev.raftflow.engine.lab;

import static dev.raftflow.engine.lab.LabCluster.MAX_LOG_SIZE;
import static dev.raftflow.engine.lab.LabCluster.SNAPSHOT_INTERVAL;
import static org.assertj.core.api.Assertions.fail;

import org.junit.jupiter.api.Test;

/**
 * The lab's part 2D (log compaction) scenarios, with the snapshotting applier, on the virtual
 * clock. Another store runs them by extending this class and overriding {@link #persisters()}.
 */
public class Lab2DTest extends LabTestBase {

  private void snapcommon(String name, boolean disconnect, boolean reliable, boolean crash) {
    int iters = 30;
    int servers = 3;
    try (LabCluster cfg = make(servers, !reliable, true)) {
      cfg.begin(name);
      cfg.one(cfg.randInt(), servers, true);
      int leader1 = cfg.checkOneLeader();
      for (int i = 0; i < iters; i++) {
        int victim = (leader1 + 1) % servers;
        int sender = leader1;
        if (i % 3 == 1) {
          sender = (leader1 + 1) % servers;
          victim = leader1;
        }
        if (disconnect) {
          cfg.disconnect(victim);
          cfg.one(cfg.randInt(), servers - 1, true);
        }
        if (crash) {
          cfg.crash1(victim);
          cfg.one(cfg.randInt(), servers - 1, true);
        }
        // perhaps send enough to get a snapshot
        int nn = (SNAPSHOT_INTERVAL / 2) + (cfg.randInt() % SNAPSHOT_INTERVAL);
        for (int j = 0; j < nn; j++) {
          cfg.start(sender, cfg.randInt());
        }
        // let applier threads catch up with the Start()'s
        if (!disconnect && !crash) {
          // make sure all followers have caught up, so that an InstallSnapshot RPC isn't required
          // for SnapshotBasic2D().
          cfg.one(cfg.randInt(), servers, true);
        } else {
          cfg.one(cfg.randInt(), servers - 1, true);
        }
        if (cfg.logSize() >= MAX_LOG_SIZE) {
          fail("Log size too large: " + cfg.logSize());
        }
        if (disconnect) {
          // reconnect a follower, who maybe behind and needs to receive a snapshot to catch up.
          cfg.connect(victim);
          cfg.one(cfg.randInt(), servers, true);
          leader1 = cfg.checkOneLeader();
        }
        if (crash) {
          cfg.start1(victim);
          cfg.connect(victim);
          cfg.one(cfg.randInt(), servers, true);
          leader1 = cfg.checkOneLeader();
        }
      }
      cfg.end();
    }
  }

  @Test
  public void SnapshotBasic2D() {
    snapcommon("Test (2D): snapshots basic", false, true, false);
  }

  @Test
  public void SnapshotInstall2D() {
    snapcommon("Test (2D): install snapshots (disconnect)", true, true, false);
  }

  @Test
  public void SnapshotInstallUnreliable2D() {
    snapcommon("Test (2D): install snapshots (disconnect+unreliable)", true, false, false);
  }

  @Test
  public void SnapshotInstallCrash2D() {
    snapcommon("Test (2D): install snapshots (crash)", false, true, true);
  }

  @Test
  public void SnapshotInstallUnCrash2D() {
    snapcommon("Test (2D): install snapshots (unreliable+crash)", false, false, true);
  }

  /** Do the servers persist the snapshots, and restart using snapshot along with the tail of the log? */
  @Test
  public void SnapshotAllCrash2D() {
    int servers = 3;
    int iters = 5;
    try (LabCluster cfg = make(servers, false, true)) {
      cfg.begin("Test (2D): crash and restart all servers");
      cfg.one(cfg.randInt(), servers, true);
      for (int i = 0; i < iters; i++) {
        // perhaps enough to get a snapshot
        int nn = (SNAPSHOT_INTERVAL / 2) + (cfg.randInt() % SNAPSHOT_INTERVAL);
        for (int j = 0; j < nn; j++) {
          cfg.one(cfg.randInt(), servers, true);
        }
        long index1 = cfg.one(cfg.randInt(), servers, true);
        // crash all
        for (int j = 0; j < servers; j++) {
          cfg.crash1(j);
        }
        // revive all
        for (int j = 0; j < servers; j++) {
          cfg.start1(j);
          cfg.connect(j);
        }
        long index2 = cfg.one(cfg.randInt(), servers, true);
        if (index2 < index1 + 1) {
          fail("index decreased from " + index1 + " to " + index2);
        }
      }
      cfg.end();
    }
  }

  /**
   * Do servers correctly initialize their in-memory copy of the snapshot, making sure that future
   * writes to persistent state don't lose state?
   */
  @Test
  public void SnapshotInit2D() {
    int servers = 3;
    try (LabCluster cfg = make(servers, false, true)) {
      cfg.begin("Test (2D): snapshot initialization after crash");
      cfg.one(cfg.randInt(), servers, true);
      // enough ops to make a snapshot
      int nn = SNAPSHOT_INTERVAL + 1;
      for (int i = 0; i < nn; i++) {
        cfg.one(cfg.randInt(), servers, true);
      }
      // crash all
      for (int i = 0; i < servers; i++) {
        cfg.crash1(i);
      }
      // revive all
      for (int i = 0; i < servers; i++) {
        cfg.start1(i);
        cfg.connect(i);
      }
      // a single op, to get something to be written back to persistent storage.
      cfg.one(cfg.randInt(), servers, true);
      // crash all
      for (int i = 0; i < servers; i++) {
        cfg.crash1(i);
      }
      // revive all
      for (int i = 0; i < servers; i++) {
        cfg.start1(i);
        cfg.connect(i);
      }
      // do another op to trigger potential bug
      cfg.one(cfg.randInt(), servers, true);
      cfg.end();
    }
  }
}

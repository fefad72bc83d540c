package dev.raftflow.engine.lab;

import static dev.raftflow.engine.lab.LabCluster.RAFT_ELECTION_TIMEOUT;
import static org.assertj.core.api.Assertions.fail;

import dev.raftflow.engine.lab.LabCluster.Committed;
import dev.raftflow.engine.lab.LabCluster.StartResult;
import dev.raftflow.engine.sim.SimThread;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The lab's part 2C (persistence) scenarios, on the virtual clock. Another store runs them by
 * extending this class and overriding {@link #persisters()}.
 */
public class Lab2CTest extends LabTestBase {

  @Test
  public void Persist12C() {
    int servers = 3;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("Test (2C): basic persistence");
      cfg.one(11, servers, true);
      // crash and re-start all
      for (int i = 0; i < servers; i++) {
        cfg.start1(i);
      }
      for (int i = 0; i < servers; i++) {
        cfg.disconnect(i);
        cfg.connect(i);
      }
      cfg.one(12, servers, true);
      int leader1 = cfg.checkOneLeader();
      cfg.disconnect(leader1);
      cfg.start1(leader1);
      cfg.connect(leader1);
      cfg.one(13, servers, true);
      int leader2 = cfg.checkOneLeader();
      cfg.disconnect(leader2);
      cfg.one(14, servers - 1, true);
      cfg.start1(leader2);
      cfg.connect(leader2);
      cfg.waitFor(4, servers, -1); // wait for leader2 to join before killing i3
      int i3 = (cfg.checkOneLeader() + 1) % servers;
      cfg.disconnect(i3);
      cfg.one(15, servers - 1, true);
      cfg.start1(i3);
      cfg.connect(i3);
      cfg.one(16, servers, true);
      cfg.end();
    }
  }

  @Test
  public void Persist22C() {
    int servers = 5;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("Test (2C): more persistence");
      int index = 1;
      for (int iters = 0; iters < 5; iters++) {
        cfg.one(10 + index, servers, true);
        index++;
        int leader1 = cfg.checkOneLeader();
        cfg.disconnect((leader1 + 1) % servers);
        cfg.disconnect((leader1 + 2) % servers);
        cfg.one(10 + index, servers - 2, true);
        index++;
        cfg.disconnect((leader1 + 0) % servers);
        cfg.disconnect((leader1 + 3) % servers);
        cfg.disconnect((leader1 + 4) % servers);
        cfg.start1((leader1 + 1) % servers);
        cfg.start1((leader1 + 2) % servers);
        cfg.connect((leader1 + 1) % servers);
        cfg.connect((leader1 + 2) % servers);
        cfg.sleep(RAFT_ELECTION_TIMEOUT);
        cfg.start1((leader1 + 3) % servers);
        cfg.connect((leader1 + 3) % servers);
        cfg.one(10 + index, servers - 2, true);
        index++;
        cfg.connect((leader1 + 4) % servers);
        cfg.connect((leader1 + 0) % servers);
      }
      cfg.one(1000, servers, true);
      cfg.end();
    }
  }

  @Test
  public void Persist32C() {
    int servers = 3;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("Test (2C): partitioned leader and one follower crash, leader restarts");
      cfg.one(101, 3, true);
      int leader = cfg.checkOneLeader();
      cfg.disconnect((leader + 2) % servers);
      cfg.one(102, 2, true);
      cfg.crash1((leader + 0) % servers);
      cfg.crash1((leader + 1) % servers);
      cfg.connect((leader + 2) % servers);
      cfg.start1((leader + 0) % servers);
      cfg.connect((leader + 0) % servers);
      cfg.one(103, 2, true);
      cfg.start1((leader + 1) % servers);
      cfg.connect((leader + 1) % servers);
      cfg.one(104, servers, true);
      cfg.end();
    }
  }

  /**
   * Test the scenarios described in Figure 8 of the extended Raft paper. Each iteration asks a
   * leader, if there is one, to insert a command in the Raft log. If there is a leader, that
   * leader will fail quickly with a high probability (perhaps without committing the command), or
   * crash after a while with low probability (most likely committing the command). If the number
   * of alive servers isn't enough to form a majority, perhaps start a new server. The leader in a
   * new term may try to finish replicating log entries that haven't been committed yet.
   */
  @Test
  public void Figure82C() {
    int servers = 5;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("Test (2C): Figure 8");
      cfg.one(cfg.randInt(), 1, true);
      int nup = servers;
      for (int iters = 0; iters < 1000; iters++) {
        int leader = -1;
        for (int i = 0; i < servers; i++) {
          if (cfg.isAlive(i)) {
            if (cfg.start(i, cfg.randInt()).isLeader()) {
              leader = i;
            }
          }
        }
        if (cfg.randInt() % 1000 < 100) {
          cfg.sleep(cfg.rand().nextInt((int) (RAFT_ELECTION_TIMEOUT / 2)));
        } else {
          cfg.sleep(cfg.rand().nextInt(13));
        }
        if (leader != -1) {
          cfg.crash1(leader);
          nup -= 1;
        }
        if (nup < 3) {
          int s = cfg.randInt() % servers;
          if (!cfg.isAlive(s)) {
            cfg.start1(s);
            cfg.connect(s);
            nup += 1;
          }
        }
      }
      for (int i = 0; i < servers; i++) {
        if (!cfg.isAlive(i)) {
          cfg.start1(i);
          cfg.connect(i);
        }
      }
      cfg.one(cfg.randInt(), servers, true);
      cfg.end();
    }
  }

  @Test
  public void UnreliableAgree2C() {
    int servers = 5;
    try (LabCluster cfg = make(servers, true, false)) {
      cfg.begin("Test (2C): unreliable agreement");
      List<SimThread> wg = new ArrayList<>();
      for (int iters = 1; iters < 50; iters++) {
        for (int j = 0; j < 4; j++) {
          int cmd = 100 * iters + j;
          wg.add(cfg.go("agree-" + cmd, () -> cfg.one(cmd, 1, true)));
        }
        cfg.one(iters, 1, true);
      }
      cfg.setUnreliable(false);
      for (SimThread t : wg) {
        t.join(120_000);
      }
      cfg.one(100, servers, true);
      cfg.end();
    }
  }

  @Test
  public void Figure8Unreliable2C() {
    int servers = 5;
    try (LabCluster cfg = make(servers, true, false)) {
      cfg.begin("Test (2C): Figure 8 (unreliable)");
      cfg.one(cfg.randInt() % 10000, 1, true);
      int nup = servers;
      for (int iters = 0; iters < 1000; iters++) {
        if (iters == 200) {
          cfg.setLongReordering(true);
        }
        int leader = -1;
        for (int i = 0; i < servers; i++) {
          StartResult r = cfg.start(i, cfg.randInt() % 10000);
          if (r.isLeader() && cfg.isConnected(i)) {
            leader = i;
          }
        }
        if (cfg.randInt() % 1000 < 100) {
          cfg.sleep(cfg.rand().nextInt((int) (RAFT_ELECTION_TIMEOUT / 2)));
        } else {
          cfg.sleep(cfg.rand().nextInt(13));
        }
        if (leader != -1 && cfg.randInt() % 1000 < (int) (RAFT_ELECTION_TIMEOUT / 2)) {
          cfg.disconnect(leader);
          nup -= 1;
        }
        if (nup < 3) {
          int s = cfg.randInt() % servers;
          if (!cfg.isConnected(s)) {
            cfg.connect(s);
            nup += 1;
          }
        }
      }
      for (int i = 0; i < servers; i++) {
        if (!cfg.isConnected(i)) {
          cfg.connect(i);
        }
      }
      cfg.one(cfg.randInt() % 10000, servers, true);
      cfg.end();
    }
  }

  @Test
  public void ReliableChurn2C() {
    internalChurn(false);
  }

  @Test
  public void UnreliableChurn2C() {
    internalChurn(true);
  }

  private void internalChurn(boolean unreliable) {
    int servers = 5;
    try (LabCluster cfg = make(servers, unreliable, false)) {
      cfg.begin(unreliable ? "Test (2C): unreliable churn" : "Test (2C): churn");
      boolean[] stop = {false};
      int ncli = 3;
      List<SimThread> clients = new ArrayList<>();
      List<List<Integer>> results = new ArrayList<>();
      for (int c = 0; c < ncli; c++) {
        int me = c;
        List<Integer> values = new ArrayList<>();
        results.add(values);
        clients.add(cfg.go("client-" + me, () -> churnClient(cfg, me, servers, stop, values)));
      }
      for (int iters = 0; iters < 20; iters++) {
        cfg.churnRound();
        // Make crash/restart infrequent enough that the peers can often keep up, but not so
        // infrequent that everything has settled down from one change to the next. Pick a value
        // smaller than the election timeout, but not hugely smaller.
        cfg.sleep((RAFT_ELECTION_TIMEOUT * 7) / 10);
      }
      cfg.sleep(RAFT_ELECTION_TIMEOUT);
      cfg.setUnreliable(false);
      cfg.restartAndConnectAll();
      stop[0] = true;
      List<Integer> values = new ArrayList<>();
      for (int c = 0; c < ncli; c++) {
        clients.get(c).join(60_000);
        if (!clients.get(c).done().isDone() || clients.get(c).done().isCompletedExceptionally()) {
          fail("client failed");
        }
        values.addAll(results.get(c));
      }
      cfg.sleep(RAFT_ELECTION_TIMEOUT);
      long lastIndex = cfg.one(cfg.randInt(), servers, true);
      Set<Integer> really = new HashSet<>();
      for (long index = 1; index <= lastIndex; index++) {
        Object v = cfg.waitFor(index, servers, -1);
        if (v instanceof Integer vi) {
          really.add(vi);
        } else {
          fail("not an int");
        }
      }
      for (int v1 : values) {
        if (!really.contains(v1)) {
          fail("didn't find a value");
        }
      }
      cfg.end();
    }
  }

  private static void churnClient(LabCluster cfg, int me, int servers, boolean[] stop, List<Integer> values) {
    while (!stop[0]) {
      int x = cfg.randInt();
      long index = -1;
      boolean ok = false;
      for (int i = 0; i < servers; i++) {
        // try them all, maybe one of them is a leader
        if (cfg.isAlive(i)) {
          StartResult r = cfg.start(i, x);
          if (r.isLeader()) {
            ok = true;
            index = r.index();
          }
        }
      }
      if (ok) {
        // maybe leader will commit our value, maybe not. but don't wait forever.
        for (int to : new int[] {10, 20, 50, 100, 200}) {
          Committed c = cfg.nCommitted(index);
          if (c.count() > 0) {
            if (c.command() instanceof Integer xx) {
              if (xx == x) {
                values.add(x);
              }
            } else {
              fail("wrong command type");
            }
            break;
          }
          cfg.sleep(to);
        }
      } else {
        cfg.sleep(79 + me * 17L);
      }
    }
  }
}

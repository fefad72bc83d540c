package dev.raftflow.engine.lab;

import static dev.raftflow.engine.lab.LabCluster.RAFT_ELECTION_TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.raftflow.engine.lab.LabCluster.StartResult;
import dev.raftflow.engine.sim.SimThread;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lab's part 2B (log replication) scenarios, on the virtual clock. */
public class Lab2BTest extends LabTestBase {

  @Test
  public void BasicAgree2B() {
    int servers = 3;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("Test (2B): basic agreement");
      int iters = 3;
      for (int index = 1; index < iters + 1; index++) {
        int nd = cfg.nCommitted(index).count();
        if (nd > 0) {
          fail("some have committed before Start()");
        }
        long xindex = cfg.one(index * 100, servers, false);
        assertThat(xindex).as("got index %d but expected %d", xindex, index).isEqualTo(index);
      }
      cfg.end();
    }
  }

  @Test
  public void RPCBytes2B() {
    int servers = 3;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("Test (2B): RPC byte count");
      cfg.one(99, servers, false);
      long bytes0 = cfg.bytesTotal();
      int iters = 10;
      long sent = 0;
      for (int index = 2; index < iters + 2; index++) {
        String cmd = randString(cfg, 5000);
        long xindex = cfg.one(cmd, servers, false);
        assertThat(xindex).as("got index %d but expected %d", xindex, index).isEqualTo(index);
        sent += cmd.length();
      }
      long got = cfg.bytesTotal() - bytes0;
      long expected = servers * sent;
      if (got > expected + 50_000) {
        fail("too many RPC bytes; got " + got + ", expected " + expected);
      }
      cfg.end();
    }
  }

  /** Test just failure of followers. */
  @Test
  public void FollowerFailure2B() {
    int servers = 3;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("Test (2B): test progressive failure of followers");
      cfg.one(101, servers, false);
      // disconnect one follower from the network.
      int leader1 = cfg.checkOneLeader();
      cfg.disconnect((leader1 + 1) % servers);
      // the leader and remaining follower should be able to agree despite the disconnected follower.
      cfg.one(102, servers - 1, false);
      cfg.sleep(RAFT_ELECTION_TIMEOUT);
      cfg.one(103, servers - 1, false);
      // disconnect the remaining follower
      int leader2 = cfg.checkOneLeader();
      cfg.disconnect((leader2 + 1) % servers);
      cfg.disconnect((leader2 + 2) % servers);
      // submit a command.
      StartResult r = cfg.start(leader2, 104);
      assertThat(r.isLeader()).as("leader rejected Start()").isTrue();
      assertThat(r.index()).as("expected index 4, got %d", r.index()).isEqualTo(4);
      cfg.sleep(2 * RAFT_ELECTION_TIMEOUT);
      // check that command 104 did not commit.
      int n = cfg.nCommitted(r.index()).count();
      if (n > 0) {
        fail(n + " committed but no majority");
      }
      cfg.end();
    }
  }

  /** Test just failure of leaders. */
  @Test
  public void LeaderFailure2B() {
    int servers = 3;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("Test (2B): test failure of leaders");
      cfg.one(101, servers, false);
      // disconnect the first leader.
      int leader1 = cfg.checkOneLeader();
      cfg.disconnect(leader1);
      // the remaining followers should elect a new leader.
      cfg.one(102, servers - 1, false);
      cfg.sleep(RAFT_ELECTION_TIMEOUT);
      cfg.one(103, servers - 1, false);
      // disconnect the new leader.
      int leader2 = cfg.checkOneLeader();
      cfg.disconnect(leader2);
      // submit a command to each server.
      for (int i = 0; i < servers; i++) {
        cfg.start(i, 104);
      }
      cfg.sleep(2 * RAFT_ELECTION_TIMEOUT);
      // check that command 104 did not commit.
      int n = cfg.nCommitted(4).count();
      if (n > 0) {
        fail(n + " committed but no majority");
      }
      cfg.end();
    }
  }

  /** Test that a follower participates after disconnect and re-connect. */
  @Test
  public void FailAgree2B() {
    int servers = 3;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("Test (2B): agreement after follower reconnects");
      cfg.one(101, servers, false);
      // disconnect one follower from the network.
      int leader = cfg.checkOneLeader();
      cfg.disconnect((leader + 1) % servers);
      // the leader and remaining follower should be able to agree despite the disconnected follower.
      cfg.one(102, servers - 1, false);
      cfg.one(103, servers - 1, false);
      cfg.sleep(RAFT_ELECTION_TIMEOUT);
      cfg.one(104, servers - 1, false);
      cfg.one(105, servers - 1, false);
      // re-connect
      cfg.connect((leader + 1) % servers);
      // the full set of servers should preserve previous agreements, and be able to agree on new commands.
      cfg.one(106, servers, true);
      cfg.sleep(RAFT_ELECTION_TIMEOUT);
      cfg.one(107, servers, true);
      cfg.end();
    }
  }

  @Test
  public void FailNoAgree2B() {
    int servers = 5;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("Test (2B): no agreement if too many followers disconnect");
      cfg.one(10, servers, false);
      // 3 of 5 followers disconnect
      int leader = cfg.checkOneLeader();
      cfg.disconnect((leader + 1) % servers);
      cfg.disconnect((leader + 2) % servers);
      cfg.disconnect((leader + 3) % servers);
      StartResult r = cfg.start(leader, 20);
      assertThat(r.isLeader()).as("leader rejected Start()").isTrue();
      assertThat(r.index()).as("expected index 2, got %d", r.index()).isEqualTo(2);
      cfg.sleep(2 * RAFT_ELECTION_TIMEOUT);
      int n = cfg.nCommitted(r.index()).count();
      if (n > 0) {
        fail(n + " committed but no majority");
      }
      // repair
      cfg.connect((leader + 1) % servers);
      cfg.connect((leader + 2) % servers);
      cfg.connect((leader + 3) % servers);
      // the disconnected majority may have chosen a leader from among their own ranks, forgetting index 2.
      int leader2 = cfg.checkOneLeader();
      StartResult r2 = cfg.start(leader2, 30);
      assertThat(r2.isLeader()).as("leader2 rejected Start()").isTrue();
      assertThat(r2.index()).as("unexpected index %d", r2.index()).isBetween(2L, 3L);
      cfg.one(1000, servers, true);
      cfg.end();
    }
  }

  @Test
  public void ConcurrentStarts2B() {
    int servers = 3;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("Test (2B): concurrent Start()s");
      boolean success = false;
      loop:
      for (int attempt = 0; attempt < 5; attempt++) {
        if (attempt > 0) {
          // give solution some time to settle
          cfg.sleep(3000);
        }
        int leader = cfg.checkOneLeader();
        StartResult first = cfg.start(leader, 1);
        if (!first.isLeader()) {
          // leader moved on really quickly
          continue;
        }
        long term = first.term();
        int iters = 5;
        List<Long> is = new ArrayList<>();
        List<SimThread> threads = new ArrayList<>();
        for (int ii = 0; ii < iters; ii++) {
          int i = ii;
          threads.add(cfg.go("start-" + i, () -> {
            StartResult r = cfg.start(leader, 100 + i);
            if (r.term() != term || !r.isLeader()) {
              return;
            }
            is.add(r.index());
          }));
        }
        for (SimThread t : threads) {
          t.join(60_000);
        }
        for (int j = 0; j < servers; j++) {
          if (cfg.state(j).term() != term) {
            // term changed -- can't expect low RPC counts
            continue loop;
          }
        }
        boolean failed = false;
        List<Integer> cmds = new ArrayList<>();
        for (long index : is) {
          Object cmd = cfg.waitFor(index, servers, term);
          if (cmd instanceof Integer ix) {
            if (ix == -1) {
              // peers have moved on to later terms so we can't expect all Start()s to have succeeded
              failed = true;
              break;
            }
            cmds.add(ix);
          } else {
            fail("value " + cmd + " is not an int");
          }
        }
        if (failed) {
          continue;
        }
        for (int ii = 0; ii < iters; ii++) {
          int x = 100 + ii;
          if (!cmds.contains(x)) {
            fail("cmd " + x + " missing in " + cmds);
          }
        }
        success = true;
        break;
      }
      if (!success) {
        fail("term changed too often");
      }
      cfg.end();
    }
  }

  @Test
  public void Rejoin2B() {
    int servers = 3;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("Test (2B): rejoin of partitioned leader");
      cfg.one(101, servers, true);
      // leader network failure
      int leader1 = cfg.checkOneLeader();
      cfg.disconnect(leader1);
      // make old leader try to agree on some entries
      cfg.start(leader1, 102);
      cfg.start(leader1, 103);
      cfg.start(leader1, 104);
      // new leader commits, also for index=2
      cfg.one(103, 2, true);
      // new leader network failure
      int leader2 = cfg.checkOneLeader();
      cfg.disconnect(leader2);
      // old leader connected again
      cfg.connect(leader1);
      cfg.one(104, 2, true);
      // all together now
      cfg.connect(leader2);
      cfg.one(105, servers, true);
      cfg.end();
    }
  }

  @Test
  public void Backup2B() {
    int servers = 5;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("Test (2B): leader backs up quickly over incorrect follower logs");
      cfg.one(cfg.randInt(), servers, true);
      // put leader and one follower in a partition
      int leader1 = cfg.checkOneLeader();
      cfg.disconnect((leader1 + 2) % servers);
      cfg.disconnect((leader1 + 3) % servers);
      cfg.disconnect((leader1 + 4) % servers);
      // submit lots of commands that won't commit
      for (int i = 0; i < 50; i++) {
        cfg.start(leader1, cfg.randInt());
      }
      cfg.sleep(RAFT_ELECTION_TIMEOUT / 2);
      cfg.disconnect((leader1 + 0) % servers);
      cfg.disconnect((leader1 + 1) % servers);
      // allow other partition to recover
      cfg.connect((leader1 + 2) % servers);
      cfg.connect((leader1 + 3) % servers);
      cfg.connect((leader1 + 4) % servers);
      // lots of successful commands to new group.
      for (int i = 0; i < 50; i++) {
        cfg.one(cfg.randInt(), 3, true);
      }
      // now another partitioned leader and one follower
      int leader2 = cfg.checkOneLeader();
      int other = (leader1 + 2) % servers;
      if (leader2 == other) {
        other = (leader2 + 1) % servers;
      }
      cfg.disconnect(other);
      // lots more commands that won't commit
      for (int i = 0; i < 50; i++) {
        cfg.start(leader2, cfg.randInt());
      }
      cfg.sleep(RAFT_ELECTION_TIMEOUT / 2);
      // bring original leader back to life,
      for (int i = 0; i < servers; i++) {
        cfg.disconnect(i);
      }
      cfg.connect((leader1 + 0) % servers);
      cfg.connect((leader1 + 1) % servers);
      cfg.connect(other);
      // lots of successful commands to new group.
      for (int i = 0; i < 50; i++) {
        cfg.one(cfg.randInt(), 3, true);
      }
      // now everyone
      for (int i = 0; i < servers; i++) {
        cfg.connect(i);
      }
      cfg.one(cfg.randInt(), servers, true);
      cfg.end();
    }
  }

  @Test
  public void Count2B() {
    int servers = 3;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("Test (2B): RPC counts aren't too high");
      int leader = cfg.checkOneLeader();
      long total1 = rpcs(cfg, servers);
      if (total1 > 30 || total1 < 1) {
        fail("too many or few RPCs (" + total1 + ") to elect initial leader");
      }
      long total2 = 0;
      boolean success = false;
      loop:
      for (int attempt = 0; attempt < 5; attempt++) {
        if (attempt > 0) {
          // give solution some time to settle
          cfg.sleep(3000);
        }
        leader = cfg.checkOneLeader();
        total1 = rpcs(cfg, servers);
        int iters = 10;
        StartResult s = cfg.start(leader, 1);
        if (!s.isLeader()) {
          // leader moved on really quickly
          continue;
        }
        long starti = s.index();
        long term = s.term();
        List<Integer> cmds = new ArrayList<>();
        for (int i = 1; i < iters + 2; i++) {
          int x = cfg.rand().nextInt(Integer.MAX_VALUE);
          cmds.add(x);
          StartResult r = cfg.start(leader, x);
          if (r.term() != term) {
            // Term changed while starting
            continue loop;
          }
          if (!r.isLeader()) {
            // No longer the leader, so term has changed
            continue loop;
          }
          if (starti + i != r.index()) {
            fail("Start() failed");
          }
        }
        for (int i = 1; i < iters + 1; i++) {
          Object cmd = cfg.waitFor(starti + i, servers, term);
          if (!(cmd instanceof Integer ix) || ix != cmds.get(i - 1).intValue()) {
            if (Integer.valueOf(-1).equals(cmd)) {
              // term changed -- try again
              continue loop;
            }
            fail("wrong value " + cmd + " committed for index " + (starti + i) + "; expected " + cmds);
          }
        }
        boolean failed = false;
        total2 = 0;
        for (int j = 0; j < servers; j++) {
          if (cfg.state(j).term() != term) {
            // term changed -- can't expect low RPC counts; need to keep going to update total2
            failed = true;
          }
          total2 += cfg.rpcCount(j);
        }
        if (failed) {
          continue loop;
        }
        if (total2 - total1 > (iters + 1 + 3) * 3) {
          fail("too many RPCs (" + (total2 - total1) + ") for " + iters + " entries");
        }
        success = true;
        break;
      }
      if (!success) {
        fail("term changed too often");
      }
      cfg.sleep(RAFT_ELECTION_TIMEOUT);
      long total3 = rpcs(cfg, servers);
      if (total3 - total2 > 3 * 20) {
        fail("too many RPCs (" + (total3 - total2) + ") for 1 second of idleness");
      }
      cfg.end();
    }
  }

  private static long rpcs(LabCluster cfg, int servers) {
    long n = 0;
    for (int j = 0; j < servers; j++) {
      n += cfg.rpcCount(j);
    }
    return n;
  }

  /** The lab's randstring: random bytes, base64-encoded, cut to n characters. */
  static String randString(LabCluster cfg, int n) {
    byte[] b = new byte[2 * n];
    cfg.rand().nextBytes(b);
    return java.util.Base64.getEncoder().encodeToString(b).substring(0, n);
  }
}

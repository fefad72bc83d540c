package dev.raftflow.transport.rsocket;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.node.RaftNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The 6.5840 lab's scenarios that make sense on real sockets and real time: 3 and 5 real {@link
 * RaftNode}s on 127.0.0.1, each with its own {@link RSocketTransport}; nodes are cut off at the
 * socket level (connections closed, new ones refused) and crashed by closing node and transport.
 */
@Timeout(value = 25, unit = TimeUnit.SECONDS)
class SocketLabTest {

  private static final Duration ELECTION = Duration.ofSeconds(5);
  private static final Duration AGREE = Duration.ofSeconds(8);

  @AfterAll
  static void noLeaks() {
    LeakRecorder.assertNoLeaks();
  }

  private static byte[] cmd(Object o) {
    return String.valueOf(o).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void initialElection() {
    try (SocketCluster c = new SocketCluster(3)) {
      String leader = c.checkOneLeader(ELECTION);
      long term = c.nodes.get(leader).state().term();
      assertThat(term).isPositive();
      SocketCluster.pause(300);
      // the terms agree and the same single leader stays
      assertThat(c.checkOneLeader(ELECTION)).isNotNull();
      c.assertNoErrors();
    }
  }

  @Test
  void reElectionAfterTheLeaderIsCutOff() {
    try (SocketCluster c = new SocketCluster(3)) {
      String leader1 = c.checkOneLeader(ELECTION);
      c.disconnect(leader1);
      String leader2 = c.checkOneLeader(ELECTION);
      assertThat(leader2).isNotEqualTo(leader1);

      // the old leader rejoins: still exactly one leader
      c.reconnect(leader1);
      String leader3 = c.checkOneLeader(ELECTION);

      // no quorum: no leader among the one remaining node
      String other = c.ids.stream().filter(id -> !id.equals(leader3)).findFirst().orElseThrow();
      c.disconnect(leader3);
      c.disconnect(other);
      String lone = c.ids.stream().filter(id -> !id.equals(leader3) && !id.equals(other)).findFirst().orElseThrow();
      c.checkNoLeader(Set.of(lone), Duration.ofMillis(1200));

      // a quorum comes back: a leader is elected; then the last one rejoins
      c.reconnect(other);
      c.checkOneLeader(ELECTION);
      c.reconnect(leader3);
      c.checkOneLeader(ELECTION);
      c.assertNoErrors();
    }
  }

  @Test
  void agreementWithAFollowerDownAndItsCatchUp() {
    try (SocketCluster c = new SocketCluster(3)) {
      c.one(cmd(101), 3, false, AGREE);
      String leader = c.checkOneLeader(ELECTION);
      String follower = c.ids.stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
      c.disconnect(follower);
      c.one(cmd(102), 2, false, AGREE);
      c.one(cmd(103), 2, false, AGREE);
      SocketCluster.pause(200);
      c.one(cmd(104), 2, false, AGREE);
      c.one(cmd(105), 2, false, AGREE);
      c.reconnect(follower);
      long index = c.one(cmd(106), 3, true, AGREE);
      c.one(cmd(107), 3, true, AGREE);
      // the follower caught up on everything it missed, in order
      for (long i = 1; i <= index; i++) {
        assertThat(c.nCommitted(i).count()).as("index %d", i).isEqualTo(3);
      }
      c.assertNoErrors();
    }
  }

  @Test
  void rejoinOfAPartitionedLeader() {
    try (SocketCluster c = new SocketCluster(3)) {
      c.one(cmd(101), 3, true, AGREE);
      String leader1 = c.checkOneLeader(ELECTION);
      c.disconnect(leader1);
      // the cut-off leader takes proposals it can never commit
      RaftNode old = c.nodes.get(leader1);
      for (int i = 0; i < 3; i++) {
        old.propose(cmd("lost-" + i));
      }
      c.one(cmd(103), 2, true, AGREE);
      String leader2 = c.checkOneLeader(ELECTION);
      c.disconnect(leader2);
      c.reconnect(leader1);
      c.one(cmd(104), 2, true, AGREE);
      c.reconnect(leader2);
      long last = c.one(cmd(105), 3, true, AGREE);
      for (long i = 1; i <= last; i++) {
        SocketCluster.Applied a = c.nCommitted(i);
        assertThat(a.count()).isEqualTo(3);
        assertThat(new String(a.command(), StandardCharsets.UTF_8)).doesNotStartWith("lost-");
      }
      c.assertNoErrors();
    }
  }

  @Test
  void leaderBacksUpQuicklyOverIncorrectFollowerLogs() {
    try (SocketCluster c = new SocketCluster(5)) {
      Random r = new Random(5);
      c.one(cmd(r.nextInt()), 5, true, AGREE);
      String leader1 = c.checkOneLeader(ELECTION);
      List<String> others = new ArrayList<>(c.ids);
      others.remove(leader1);
      // leader and one follower in a minority partition: their entries will not commit
      c.partition(Set.of(leader1, others.get(0)));
      for (int i = 0; i < 50; i++) {
        c.nodes.get(leader1).propose(cmd("minority-" + i));
      }
      SocketCluster.pause(300);
      // the majority side elects a leader and commits 50 entries
      c.partition(Set.of(others.get(1), others.get(2), others.get(3)));
      for (int i = 0; i < 50; i++) {
        c.one(cmd("majority-" + i), 3, true, AGREE);
      }
      String leader2 = c.checkOneLeader(ELECTION);
      String other = others.get(1).equals(leader2) ? others.get(2) : others.get(1);
      // now a different minority: leader2 and one more, which takes 50 uncommitted entries
      c.partition(Set.of(leader2, other));
      for (int i = 0; i < 50; i++) {
        c.nodes.get(leader2).propose(cmd("minority2-" + i));
      }
      SocketCluster.pause(300);
      // the original leader and its follower come back with the third node: they must back up
      c.partition(Set.of(leader1, others.get(0), others.stream()
          .filter(id -> !id.equals(leader2) && !id.equals(other) && !id.equals(others.get(0))).findFirst().orElseThrow()));
      for (int i = 0; i < 50; i++) {
        c.one(cmd("back-" + i), 3, true, AGREE);
      }
      c.heal();
      c.one(cmd("all"), 5, true, AGREE);
      c.assertNoErrors();
    }
  }

  @Test
  void churnWithCrashesRestartsAndCutsWhileClientsWrite() throws Exception {
    try (SocketCluster c = new SocketCluster(5)) {
      Random r = new Random(77);
      c.one(cmd("start"), 5, true, AGREE);
      long end = System.nanoTime() + Duration.ofSeconds(6).toNanos();
      int proposed = 0;
      while (System.nanoTime() < end) {
        for (String id : c.ids) {
          RaftNode n = c.nodes.get(id);
          if (n != null && n.state().isLeader()) {
            n.propose(cmd("churn-" + proposed++));
          }
        }
        String victim = c.ids.get(r.nextInt(c.ids.size()));
        int up = (int) c.ids.stream().filter(c::isUp).count();
        switch (r.nextInt(4)) {
          case 0 -> {
            if (up > 3 || !c.isUp(victim)) {
              c.restart(victim);
            }
          }
          case 1 -> c.disconnect(victim);
          case 2 -> c.reconnect(victim);
          default -> { }
        }
        SocketCluster.pause(r.nextInt(150));
      }
      c.heal();
      for (String id : c.ids) {
        if (!c.isUp(id)) {
          c.restart(id);
        }
      }
      long last = c.one(cmd("end"), 5, true, Duration.ofSeconds(10));
      for (long i = 1; i <= last; i++) {
        assertThat(c.nCommitted(i).count()).as("index %d applied everywhere", i).isEqualTo(5);
      }
      assertThat(proposed).isPositive();
      c.assertNoErrors();
    }
  }
}

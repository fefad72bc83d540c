package dev.raftflow.engine.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.LeadershipTransferException;
import dev.raftflow.engine.NotLeaderException;
import dev.raftflow.engine.RaftException;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Leadership transfer on the lab's harness: leadership moves to the member asked for, without
 * losing a committed entry; a transfer to a member that cannot take over is given up and the old
 * leader goes on serving.
 */
public class LeadershipTransferTest extends LabTestBase {

  @Test
  public void leadershipMovesToTheChosenMemberAndBack() {
    int servers = 5;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("leadership transfer");
      cfg.one(101, servers, true);
      for (int round = 0; round < 3; round++) {
        int from = cfg.checkOneLeader();
        int to = (from + 1 + cfg.rand().nextInt(servers - 1)) % servers;
        long termBefore = cfg.state(from).term();
        CompletableFuture<Void> moved = cfg.transferLeadership(from, to);
        cfg.simulation().await(moved, 2_000);
        assertThat(cfg.checkOneLeader()).as("round %d: leader after handing over to %d", round, to).isEqualTo(to);
        assertThat(cfg.state(to).term()).isGreaterThan(termBefore);
        cfg.one(200 + round, servers, true);
      }
      cfg.end();
    }
  }

  @Test
  public void aTransferToACutOffMemberIsGivenUpAndTheLeaderServesOn() {
    int servers = 3;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("leadership transfer to a disconnected member");
      cfg.one(101, servers, true);
      int leader = cfg.checkOneLeader();
      int away = (leader + 1) % servers;
      cfg.disconnect(away);
      CompletableFuture<Void> moved = cfg.transferLeadership(leader, away);
      LabCluster.StartResult during = cfg.start(leader, 102);
      assertThat(during.isLeader()).as("proposals are refused while handing over").isFalse();
      Throwable why = cfg.simulation().await(moved.handle((v, e) -> e), 3_000);
      assertThat(why).isInstanceOfSatisfying(LeadershipTransferException.class,
          e -> assertThat(e.reason()).isEqualTo(LeadershipTransferException.Reason.TIMED_OUT));
      assertThat(cfg.checkOneLeader()).isEqualTo(leader);
      cfg.one(103, servers - 1, true);
      cfg.connect(away);
      cfg.one(104, servers, true);
      cfg.end();
    }
  }

  @Test
  public void aTransferFromALeaderThatIsCutOffFailsInsteadOfHanging() {
    int servers = 3;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("leadership transfer from a disconnected leader");
      cfg.one(101, servers, true);
      int leader = cfg.checkOneLeader();
      cfg.disconnect(leader);
      CompletableFuture<Void> moved = cfg.transferLeadership(leader, (leader + 1) % servers);
      Throwable why = cfg.simulation().await(moved.handle((v, e) -> e), 3 * LabCluster.RAFT_ELECTION_TIMEOUT);
      assertThat(why).as("the transfer fails").isInstanceOf(RaftException.class);
      cfg.connect(leader);
      cfg.one(102, servers, true);
      cfg.end();
    }
  }
}

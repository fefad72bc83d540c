package dev.raftflow.engine.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.NodeState;
import org.junit.jupiter.api.Test;

/**
 * A member restored from an older copy of its directory has lost entries it acknowledged (issue 12).
 * Its leader, which never sends below what a follower acknowledged, used to keep it behind for as
 * long as it led; now it sees the loss, says so, and sends the entries again.
 */
public class LostEntriesTest extends LabTestBase {

  @Test
  public void aFollowerRestoredFromAnOlderCopyCatchesUpUnderTheSameLeader() {
    try (LabCluster cfg = make(3, false, false)) {
      cfg.begin("a follower restored from an older copy of its store is sent the entries again");
      for (int c = 1; c <= 3; c++) {
        cfg.one(c, 3, true);
      }
      int leader = cfg.checkOneLeader();
      int follower = (leader + 1) % 3;
      StoreHandle older = cfg.backup(follower);
      for (int c = 4; c <= 12; c++) {
        cfg.one(c, 3, true); // committed on all three: the follower acknowledged them
      }
      NodeState before = cfg.state(leader);

      cfg.restartFrom(follower, older);
      cfg.connect(follower);
      assertThat(cfg.state(follower).lastIndex()).as("the restored copy ends earlier").isLessThan(before.lastIndex());

      long deadline = cfg.simulation().nowMillis() + 4 * LabCluster.RAFT_ELECTION_TIMEOUT;
      while (cfg.state(follower).lastIndex() < before.lastIndex() && cfg.simulation().nowMillis() < deadline) {
        cfg.sleep(50);
      }
      assertThat(cfg.state(follower).lastIndex()).as("the follower holds the log again").isGreaterThanOrEqualTo(before.lastIndex());
      NodeState after = cfg.state(leader);
      assertThat(after.isLeader()).as("without a change of leader").isTrue();
      assertThat(after.term()).isEqualTo(before.term());
      cfg.one(13, 3, true);
      cfg.end();
    }
  }
}

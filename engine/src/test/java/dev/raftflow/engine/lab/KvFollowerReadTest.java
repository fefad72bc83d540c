package dev.raftflow.engine.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.RaftOptions;
import org.junit.jupiter.api.Test;

/**
 * The key-value history of {@link KvLinearizabilityTest} with follower reads on: reads go to any
 * server, followers ask the leader for the read point and answer once they have applied it; the
 * history must stay linearizable under the lab's churn, and followers must actually serve reads.
 */
public class KvFollowerReadTest extends KvLinearizabilityTest {

  @Override
  protected RaftOptions options() {
    return super.options().toBuilder().followerReads(true).build();
  }

  @Override
  protected boolean readsFromAnyServer() {
    return true;
  }

  @Override
  @Test
  public void historyIsLinearizableUnderUnreliableChurn() {
    super.historyIsLinearizableUnderUnreliableChurn();
  }

  @Override
  protected void afterRun(LabCluster cfg) {
    long onFollowers = 0;
    for (int i = 0; i < cfg.servers(); i++) {
      if (cfg.isAlive(i) && !cfg.state(i).isLeader()) {
        onFollowers += cfg.metrics(i).readsConfirmed();
      }
    }
    System.out.printf("kv with follower reads: %d reads confirmed on members not leading now%n", onFollowers);
    assertThat(onFollowers).as("reads served by followers").isPositive();
  }
}

package dev.raftflow.engine.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.RaftOptions;
import org.junit.jupiter.api.Test;

/**
 * The key-value history of {@link KvLinearizabilityTest} with lease reads on (and CheckQuorum, which
 * they need): reads answered under a leader's lease, without a round, must still be linearizable
 * while the lab's churn partitions, crashes and restarts servers; and most reads must actually take
 * the lease.
 */
public class KvLeaseReadTest extends KvLinearizabilityTest {

  @Override
  protected RaftOptions options() {
    return LabOptions.raftOptions().toBuilder().checkQuorum(true).leaseReads(true).build();
  }

  @Override
  @Test
  public void historyIsLinearizableUnderUnreliableChurn() {
    super.historyIsLinearizableUnderUnreliableChurn();
  }

  @Override
  protected void afterRun(LabCluster cfg) {
    long byLease = 0;
    long byRound = 0;
    for (int i = 0; i < cfg.servers(); i++) {
      if (cfg.isAlive(i)) {
        byLease += cfg.metrics(i).readsByLease();
        byRound += cfg.metrics(i).readsConfirmed();
      }
    }
    System.out.printf("kv with lease reads: %d reads under the lease, %d by a round, on the servers up now%n",
        byLease, byRound);
    assertThat(byLease).as("reads answered under a lease").isPositive();
  }
}

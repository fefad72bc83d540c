package dev.raftflow.engine.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.OutcomeUnknownException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * What clients of a leader feel when it loses the leadership (issue 17): work pending on it fails at
 * once with a typed outcome instead of waiting for a timeout of its own.
 */
public class FailoverTest extends LabTestBase {

  @Test
  public void aLeaderCutOffFailsItsPendingSubmitsAsUnknownWhenItStepsDown() {
    int servers = 5;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("pending submits fail fast when the leader steps down");
      cfg.one(101, servers, true);
      int leader1 = cfg.checkOneLeader();
      CompletableFuture<LogPosition> committed = cfg.submit(leader1, 102);
      cfg.simulation().await(committed, 2_000);

      cfg.disconnect(leader1);
      CompletableFuture<LogPosition> pending = cfg.submit(leader1, 103);
      // CheckQuorum deposes the cut-off leader within an election timeout (300-600 ms in the lab's options):
      // its pending submit must fail by then, long before any client timeout
      Throwable why = cfg.simulation().await(pending.handle((v, e) -> e), 1_000);
      Throwable cause = why instanceof CompletionException c ? c.getCause() : why;
      assertThat(cause).as("the submit's outcome").isInstanceOf(OutcomeUnknownException.class)
          .hasMessageContaining("stopped leading");
      assertThat(cfg.state(leader1).isLeader()).isFalse();

      cfg.one(104, servers - 1, true); // the others elect a new leader and go on
      cfg.connect(leader1);
      cfg.one(105, servers, true);
      cfg.end();
    }
  }
}

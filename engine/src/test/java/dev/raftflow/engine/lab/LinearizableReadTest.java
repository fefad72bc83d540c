package dev.raftflow.engine.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.NotLeaderException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * Linearizable reads (ReadIndex) on the lab's harness: a leader cut off from the majority must not
 * answer a read that misses a write the new majority committed, and the new leader's read point
 * covers it.
 */
public class LinearizableReadTest extends LabTestBase {

  @Test
  public void aPartitionedLeaderNeverServesAStaleRead() {
    int servers = 5;
    try (LabCluster cfg = make(servers, false, false)) {
      cfg.begin("linearizable reads across a leader partition");
      long first = cfg.one(101, servers, true);
      int leader1 = cfg.checkOneLeader();
      long readAt = cfg.simulation().await(cfg.readIndex(leader1), 2_000);
      assertThat(readAt).isGreaterThanOrEqualTo(first);

      cfg.disconnect(leader1);
      CompletableFuture<Long> stale = cfg.readIndex(leader1);
      long written = cfg.one(102, servers - 1, true); // the majority elects a new leader and commits
      int leader2 = cfg.checkOneLeader();
      assertThat(leader2).isNotEqualTo(leader1);
      assertThat(cfg.simulation().await(cfg.readIndex(leader2), 2_000)).as("new leader's read point")
          .isGreaterThanOrEqualTo(written);
      cfg.sleep(2_000);
      // cut off, the old leader cannot confirm: it never answers, or steps down and refuses
      assertThat(stale.isDone() && !stale.isCompletedExceptionally()).as("stale leader answered a read").isFalse();

      cfg.connect(leader1);
      cfg.one(103, servers, true);
      assertThat(stale).as("once it learns of the new term, the old leader fails the read").isCompletedExceptionally();
      assertThat(stale.handle((v, e) -> e instanceof CompletionException c ? c.getCause() : e).join())
          .isInstanceOf(NotLeaderException.class);
      cfg.end();
    }
  }
}

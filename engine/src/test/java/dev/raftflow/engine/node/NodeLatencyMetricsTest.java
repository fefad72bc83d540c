package dev.raftflow.engine.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.Histogram;
import dev.raftflow.engine.NodeMetrics;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import dev.raftflow.engine.spi.ForwardingLogStore;
import dev.raftflow.engine.spi.LogWrite;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NodeLatencyMetricsTest {

  private static final long WRITE_DELAY_MS = 20;

  @Test
  void aSlowStoreShowsInWriteAndCommitLatencyAndEveryEntryIsTimed() throws Exception {
    ScheduledExecutorService disk = Executors.newSingleThreadScheduledExecutor();
    // durable WRITE_DELAY_MS after each write: the single member commits only then
    ForwardingLogStore slow = new ForwardingLogStore(new MemoryLogStore()) {
      @Override
      public CompletableFuture<Void> write(LogWrite w) {
        CompletableFuture<Void> inner = delegate.write(w);
        CompletableFuture<Void> done = new CompletableFuture<>();
        disk.schedule(() -> inner.whenComplete((v, e) -> {
          if (e != null) {
            done.completeExceptionally(e);
          } else {
            done.complete(null);
          }
        }), WRITE_DELAY_MS, TimeUnit.MILLISECONDS);
        return done;
      }
    };
    RaftOptions options = RaftOptions.builder().tickInterval(Duration.ofMillis(5)).heartbeatTicks(2).electionTicks(10)
        .build();
    RaftNode node = RaftNode.builder().id("a").members(List.of("a")).transport(new MemoryNetwork().transport("a"))
        .logStore(slow).options(options).start();
    try {
      node.applied().subscribe();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!node.state().isLeader()) {
        assertThat(System.nanoTime()).as("leader within 20 s").isLessThan(deadline);
        Thread.sleep(5);
      }
      long last = 0;
      for (int i = 0; i < 20; i++) {
        last = node.submit(new byte[100]).block(Duration.ofSeconds(5)).index();
      }
      CompletableFuture<?>[] batch = new CompletableFuture<?>[100];
      for (int i = 0; i < batch.length; i++) {
        batch[i] = node.propose(new byte[10]);
      }
      CompletableFuture.allOf(batch).get(10, TimeUnit.SECONDS);
      while (node.state().appliedIndex() < node.state().commitIndex() || node.metrics().applyLatency().count()
          < 120) {
        assertThat(System.nanoTime()).as("applied within 20 s").isLessThan(deadline);
        Thread.sleep(5);
      }

      NodeMetrics m = node.metrics();
      Histogram.Snapshot commit = m.commitLatency().snapshot();
      assertThat(commit.count()).as("every proposal timed once").isEqualTo(120);
      assertThat(commit.valueAtQuantile(0.5)).as("median commit waits for the slow write")
          .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(WRITE_DELAY_MS) * 7 / 8);
      Histogram.Snapshot write = m.logWriteLatency().snapshot();
      assertThat(write.count()).isEqualTo(m.logWrites() - m.pendingWrites());
      assertThat(write.valueAtQuantile(0.01)).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(WRITE_DELAY_MS) * 7 / 8);
      assertThat(write.sum()).isEqualTo(m.logWriteNanos());
      Histogram.Snapshot batches = m.writeBatchEntries().snapshot();
      assertThat(batches.sum()).isEqualTo(m.entriesWritten());
      assertThat(batches.max()).as("proposals made while a write was slow go in one batch").isGreaterThan(1);
      assertThat(m.bytesWritten()).as("20 x 100 + 100 x 10 bytes of commands").isEqualTo(3000);
      assertThat(m.applyLatency().count()).as("every committed entry handed over once, the no-op too")
          .isEqualTo(node.state().appliedIndex());
      assertThat(last).isPositive();
    } finally {
      node.close();
      node.onClose().block(Duration.ofSeconds(10));
      disk.shutdownNow();
    }
  }
}

package dev.raftflow.engine.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import dev.raftflow.engine.spi.ForwardingLogStore;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.Snapshot;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code RaftNode.snapshot(index, SnapshotWriter)}: the service streams its snapshot to the store. */
class StreamedSnapshotNodeTest {

  /** A memory store remembering the last snapshot written. */
  static final class SnapshotSpy extends ForwardingLogStore {
    volatile Snapshot last;

    SnapshotSpy() {
      super(new MemoryLogStore());
    }

    @Override
    public CompletableFuture<Void> write(LogWrite w) {
      if (w.snapshot() != null) {
        last = w.snapshot();
      }
      return super.write(w);
    }
  }

  @Test
  void aStreamedSnapshotReachesTheStoreAndAFailingWriterDropsIt() throws Exception {
    SnapshotSpy store = new SnapshotSpy();
    RaftNode node = RaftNode.builder().id("a").members(List.of("a")).transport(new MemoryNetwork().transport("a"))
        .logStore(store).start();
    try {
      node.applied().subscribe();
      long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!node.state().isLeader() && System.nanoTime() < end) {
        Thread.sleep(5);
      }
      long index = node.propose("x".getBytes()).get(10, TimeUnit.SECONDS).index();
      while (node.state().appliedIndex() < index && System.nanoTime() < end) {
        Thread.sleep(5);
      }
      node.snapshot(index, out -> {
        for (int i = 0; i < 100_000; i++) {
          out.write(i & 0x7f);
        }
      }).get(10, TimeUnit.SECONDS);
      while (store.last == null && System.nanoTime() < end) {
        Thread.sleep(5);
      }
      assertThat(store.last.index()).isEqualTo(index);
      assertThat(store.last.size()).isEqualTo(100_000);
      assertThat(store.last.data()[99_999]).isEqualTo((byte) (99_999 & 0x7f));

      assertThatThrownBy(() -> node.snapshot(index + 100, out -> out.write(1)).get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> node.snapshot(index, out -> {
        throw new IOException("disk full");
      }).get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).hasRootCauseMessage("disk full");
    } finally {
      node.close();
    }
  }
}

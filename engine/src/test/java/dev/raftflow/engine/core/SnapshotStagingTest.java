package dev.raftflow.engine.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.SnapshotData;
import dev.raftflow.engine.message.InstallSnapshot;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.SnapshotSink;
import dev.raftflow.engine.spi.SnapshotStaging;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A follower writes the chunks it receives to the staging area it was given, and drops them when the transfer goes. */
class SnapshotStagingTest {
  private static final List<String> ABC = List.of("a", "b", "c");

  /** Sinks kept in memory, remembering what became of them. */
  static final class RecordingStaging implements SnapshotStaging {
    final List<Sink> sinks = new ArrayList<>();

    @Override
    public SnapshotSink begin(long expectedBytes) {
      Sink s = new Sink(SnapshotStaging.inMemory().begin(expectedBytes), expectedBytes);
      sinks.add(s);
      return s;
    }
  }

  static final class Sink implements SnapshotSink {
    final SnapshotSink inner;
    final long expected;
    boolean aborted;
    SnapshotData finished;

    Sink(SnapshotSink inner, long expected) {
      this.inner = inner;
      this.expected = expected;
    }

    @Override
    public void write(ByteBuffer src) throws java.io.IOException {
      inner.write(src);
    }

    @Override
    public long written() {
      return inner.written();
    }

    @Override
    public SnapshotData finish() throws java.io.IOException {
      finished = inner.finish();
      return finished;
    }

    @Override
    public void abort() {
      aborted = true;
      inner.abort();
    }
  }

  private static InstallSnapshot chunk(long term, String from, long seq, long offset, String data) {
    return new InstallSnapshot(term, from, "c", 8, 1, seq, offset, 10, data.getBytes(), null);
  }

  @Test
  void chunksGoToTheStagingSinkAndTheInstalledSnapshotIsItsData() {
    RecordingStaging staging = new RecordingStaging();
    RaftCore c = new RaftCore("c", ABC, RaftOptions.defaults(), new Random(1), PersistentState.EMPTY);
    c.stageSnapshotsWith(staging);
    c.step(chunk(1, "a", 1, 0, "0123"));
    c.step(chunk(1, "a", 2, 4, "4567"));
    assertThat(staging.sinks).singleElement().satisfies(s -> {
      assertThat(s.expected).isEqualTo(10);
      assertThat(s.written()).isEqualTo(8);
    });
    c.ready();

    c.step(chunk(2, "b", 1, 0, "01")); // another leader, in a new term: the first transfer goes
    assertThat(staging.sinks).hasSize(2);
    assertThat(staging.sinks.get(0).aborted).as("the abandoned transfer's sink").isTrue();
    c.step(chunk(2, "b", 2, 2, "23456789"));
    Sink done = staging.sinks.get(1);
    assertThat(done.finished).isNotNull();
    Ready r = c.ready();
    assertThat(r.write().snapshot().content()).as("the staged data, installed").isSameAs(done.finished);
    c.persisted(r.write().seq());
    assertThat(c.takeApply(10)).singleElement().isInstanceOfSatisfying(ApplyEvent.SnapshotInstalled.class,
        s -> assertThat(s.snapshot()).isSameAs(done.finished));
    assertThat(new String(done.finished.toBytes())).isEqualTo("0123456789");
  }

  @Test
  void aNewTermDropsTheStagedChunks() {
    RecordingStaging staging = new RecordingStaging();
    RaftCore c = new RaftCore("c", ABC, RaftOptions.defaults(), new Random(1), PersistentState.EMPTY);
    c.stageSnapshotsWith(staging);
    c.step(chunk(1, "a", 1, 0, "0123"));
    c.step(chunk(2, "a", 1, 4, "4567")); // the next chunk, but in a new term
    assertThat(staging.sinks.get(0).aborted).as("a new term: the transfer will not go on").isTrue();
  }
}

package dev.raftflow.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.codec.PersistentStateCodec;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PersistentImageTest {

  /** The obvious model: the whole log as a list of entries from index 1, and the snapshot's index. */
  private static final class Model {
    HardState hs = HardState.INITIAL;
    Snapshot snapshot;
    final List<LogEntry> all = new ArrayList<>(); // all.get(i) is index i + 1, whatever was compacted

    void apply(LogWrite w) {
      if (w.hardState() != null) {
        hs = w.hardState();
      }
      if (w.snapshot() != null) {
        Snapshot s = w.snapshot();
        boolean matches = s.index() <= all.size() && (snapshot == null || s.index() > snapshot.index())
            && all.get((int) s.index() - 1).term() == s.term();
        if (!matches) {
          all.clear();
          for (long i = 1; i <= s.index(); i++) {
            all.add(LogEntry.noop(i, s.term())); // covered: stand-ins
          }
        }
        snapshot = s;
      }
      if (!w.entries().isEmpty()) {
        long first = w.entries().get(0).index();
        all.subList((int) first - 1, all.size()).clear();
        all.addAll(w.entries());
      }
    }

    List<LogEntry> live() {
      return all.subList(snapshot == null ? 0 : (int) snapshot.index(), all.size());
    }
  }

  @Test
  void foldingWritesGivesWhatTheWritesDefine() {
    Random rnd = new Random(7);
    for (int run = 0; run < 200; run++) {
      PersistentImage image = new PersistentImage();
      Model model = new Model();
      long term = 1;
      for (int step = 0; step < 60; step++) {
        HardState hs = rnd.nextInt(4) == 0 ? new HardState(++term, rnd.nextBoolean() ? "a" : null) : null;
        Snapshot snap = null;
        long last = model.all.size();
        long base = model.snapshot == null ? 0 : model.snapshot.index();
        if (rnd.nextInt(8) == 0 && last > base) {
          long at = base + 1 + rnd.nextInt((int) (last - base));
          long t = rnd.nextInt(5) == 0 ? term + 100 : model.all.get((int) at - 1).term(); // sometimes a mismatch
          snap = new Snapshot(at, t, new byte[] {(byte) at});
        }
        long newBase = snap != null ? snap.index() : base;
        long newLast = snap != null && snap.term() > term ? newBase : last;
        List<LogEntry> entries = new ArrayList<>();
        if (rnd.nextBoolean()) {
          long from = newBase + 1 + (newLast > newBase ? rnd.nextInt((int) (newLast - newBase) + 1) : 0);
          int n = 1 + rnd.nextInt(4);
          for (int i = 0; i < n; i++) {
            entries.add(LogEntry.command(from + i, term, new byte[] {(byte) i}));
          }
        }
        LogWrite w = new LogWrite(hs, snap, entries, 0, 0);
        image.apply(w);
        model.apply(w);
        PersistentState state = image.state();
        assertThat(state.hardState()).isEqualTo(model.hs);
        assertThat(state.snapshot()).isSameAs(model.snapshot);
        assertThat(state.entries()).as("run %d step %d", run, step).containsExactlyElementsOf(model.live());
        assertThat(image.lastIndex()).isEqualTo(model.all.size());
        assertThat(PersistentStateCodec.decode(PersistentStateCodec.encode(state)).entries())
            .extracting(LogEntry::index).containsExactlyElementsOf(model.live().stream().map(LogEntry::index).toList());
      }
    }
  }

  @Test
  void aWriteThatWouldLeaveAGapOrRewriteTheSnapshotChangesNothing() {
    PersistentImage image = new PersistentImage();
    image.apply(new LogWrite(null, null, List.of(LogEntry.command(1, 1, new byte[] {1})), 1, 1));
    image.apply(new LogWrite(null, new Snapshot(1, 1, new byte[0]), List.of(), 1, 1));
    assertThatThrownBy(() -> image.apply(new LogWrite(new HardState(9, null), null,
        List.of(LogEntry.command(3, 1, new byte[0])), 3, 1))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("gap");
    assertThatThrownBy(() -> image.apply(new LogWrite(null, null, List.of(LogEntry.command(1, 2, new byte[0])), 1, 2)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("covered by the snapshot");
    assertThat(image.lastIndex()).isEqualTo(1);
  }
}

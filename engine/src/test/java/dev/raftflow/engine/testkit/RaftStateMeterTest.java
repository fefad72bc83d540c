package dev.raftflow.engine.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.codec.MessageCodec;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The lab's state size as the meter derives it from the writes it sees. */
class RaftStateMeterTest {

  private static LogEntry entry(long index, long term, int bytes) {
    return LogEntry.command(index, term, new byte[bytes]);
  }

  private static List<LogEntry> entries(long from, long to, long term, int bytes) {
    List<LogEntry> es = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      es.add(entry(i, term, bytes));
    }
    return es;
  }

  private static long sizeOf(List<LogEntry> es) {
    long n = 0;
    for (LogEntry e : es) {
      n += MessageCodec.entrySize(e) + 9;
    }
    return n;
  }

  /** The size the lab defines for a stored state, computed from the state itself. */
  private static long expectedSize(PersistentState ps) {
    String vote = ps.hardState().votedFor();
    return 10 + (vote == null ? 1 : 1 + vote.length()) + 10 + sizeOf(ps.entries());
  }

  @Test
  void hardStateAndEntriesCountAndASnapshotDropsWhatItCovers() {
    RaftStateMeter m = new RaftStateMeter();
    assertThat(m.raftStateSize()).as("empty: term, no vote, framing").isEqualTo(21);
    m.record(new LogWrite(new HardState(2, "n1"), null, entries(1, 10, 2, 100), 10, 2));
    assertThat(m.raftStateSize()).isEqualTo(10 + 3 + 10 + sizeOf(entries(1, 10, 2, 100)));
    assertThat(m.hardState()).isEqualTo(new HardState(2, "n1"));
    m.record(new LogWrite(null, null, entries(8, 9, 3, 5), 9, 3));
    assertThat(m.lastIndex()).as("a conflicting suffix is replaced").isEqualTo(9);
    long afterReplace = 23 + sizeOf(entries(1, 7, 2, 100)) + sizeOf(entries(8, 9, 3, 5));
    assertThat(m.raftStateSize()).isEqualTo(afterReplace);
    Snapshot snap = new Snapshot(7, 2, new byte[1000]);
    m.record(new LogWrite(null, snap, List.of(), 9, 3));
    assertThat(m.raftStateSize()).as("entries 1..7 compacted, the snapshot not counted")
        .isEqualTo(23 + sizeOf(entries(8, 9, 3, 5)));
    assertThat(m.snapshot()).isSameAs(snap);
    m.record(new LogWrite(null, new Snapshot(20, 4, new byte[0]), List.of(), 20, 4));
    assertThat(m.raftStateSize()).as("a snapshot of another history drops the whole log").isEqualTo(23);
    assertThat(m.lastIndex()).isEqualTo(20);
    assertThatThrownBy(() -> m.record(new LogWrite(null, null, entries(22, 22, 4, 1), 22, 4)))
        .hasMessageContaining("gap");
    assertThatThrownBy(() -> m.record(new LogWrite(null, null, entries(20, 20, 4, 1), 20, 4)))
        .hasMessageContaining("covered by snapshot");
  }

  @Test
  void agreesWithTheStoreItMetersOverRandomWritesAndCopiesStayApart() {
    Random rnd = new Random(11);
    MemoryLogStore memory = new MemoryLogStore();
    MeteredLogStore store = new MeteredLogStore(memory);
    store.load();
    long term = 1;
    RaftStateMeter frozen = null;
    long frozenSize = 0;
    for (int step = 0; step < 500; step++) {
      PersistentState ps = memory.load();
      long base = ps.snapshot() == null ? 0 : ps.snapshot().index();
      long last = base + ps.entries().size();
      int op = rnd.nextInt(10);
      if (op < 6) {
        HardState hs = rnd.nextInt(4) == 0 ? new HardState(++term, rnd.nextBoolean() ? null : "n" + rnd.nextInt(9)) : null;
        store.write(new LogWrite(hs, null, entries(last + 1, last + 1 + rnd.nextInt(5), term, rnd.nextInt(50)), 0, 0));
      } else if (op < 8 && last > base) {
        long from = base + 1 + rnd.nextInt((int) (last - base));
        store.write(new LogWrite(new HardState(++term, "n1"), null, entries(from, from, term, 3), 0, 0));
      } else if (last > base) {
        long at = base + 1 + rnd.nextInt((int) (last - base));
        long t = rnd.nextInt(3) == 0 ? term + 1 : ps.entries().get((int) (at - base - 1)).term();
        store.write(new LogWrite(null, new Snapshot(at, t, new byte[1]), List.of(), 0, 0));
      }
      PersistentState now = memory.load();
      assertThat(store.meter().raftStateSize()).as("step " + step).isEqualTo(expectedSize(now));
      assertThat(store.meter().hardState()).as("step " + step).isEqualTo(now.hardState());
      if (step == 250) {
        frozen = store.meter().copy();
        frozenSize = frozen.raftStateSize();
      }
    }
    assertThat(frozen.raftStateSize()).as("a copy does not follow later writes").isEqualTo(frozenSize);
    assertThat(new RaftStateMeter(memory.load()).raftStateSize())
        .as("a meter started from a loaded state").isEqualTo(store.meter().raftStateSize());
  }
}

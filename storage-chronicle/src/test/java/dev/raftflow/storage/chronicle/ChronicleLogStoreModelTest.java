package dev.raftflow.storage.chronicle;

import static dev.raftflow.storage.chronicle.StoreAssertions.assertSameEntry;
import static dev.raftflow.storage.chronicle.StoreAssertions.assertSameState;
import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model-based property test: random sequences of append, truncate-suffix (a conflicting append),
 * compact-prefix (snapshot, matching or not), hard-state changes, clean restart and simulated
 * crash (the store's files copied while it is open, see {@link StoreFiles#crashImage}), with noop and membership (CONFIG) entries and snapshots with or without a membership,
 * applied to {@link ChronicleLogStore} and to the reference {@link MemoryLogStore}; after
 * every step both agree on every entry, and after every restart on the whole recovered state.
 */
class ChronicleLogStoreModelTest {

  static List<Arguments> seeds() {
    List<Arguments> a = new ArrayList<>();
    for (long seed = 1; seed <= 10; seed++) {
      a.add(Arguments.of(seed, seed % 3 == 0 ? Durability.OS_CACHE : Durability.FSYNC));
    }
    return a;
  }

  @ParameterizedTest(name = "seed {0} {1}")
  @MethodSource("seeds")
  void agreesWithMemoryStore(long seed, Durability durability, @TempDir Path dir) {
    Random rnd = new Random(seed);
    // Tiny segments so that rolls and whole-file compaction happen often.
    ChronicleLogStore.Options opts = TestStoreOptions.SMALL
        .withDurability(durability).withSegmentBytes(8192).withRollOnSnapshotBytes(rnd.nextBoolean() ? 0 : 4096);
    MemoryLogStore model = new MemoryLogStore();
    Path current = dir.resolve("store");
    int crashes = 0;
    ChronicleLogStore store = ChronicleLogStore.open(current, opts);
    assertSameState(store.load(), model.load(), "seed " + seed + " fresh");
    long term = 1;
    String ctx = "seed " + seed;
    try {
      for (int step = 0; step < 160; step++) {
        String at = ctx + " step " + step;
        PersistentState m = model.load();
        long base = m.snapshot() == null ? 0 : m.snapshot().index();
        long last = base + m.entries().size();
        int op = rnd.nextInt(100);
        LogWrite w = null;
        if (op < 45) { // append at the end, sometimes with a new term and hard state
          HardState hs = null;
          if (rnd.nextInt(5) == 0) {
            term++;
            hs = new HardState(term, rnd.nextBoolean() ? null : "n" + rnd.nextInt(5));
          }
          w = write(hs, null, entries(rnd, last + 1, 1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 40), term));
        } else if (op < 65 && last > base) { // conflicting suffix: replace from a random point
          term++;
          long from = base + 1 + rnd.nextInt((int) (last - base));
          w = write(new HardState(term, "n1"), null, entries(rnd, from, rnd.nextInt(6) + (rnd.nextBoolean() ? 0 : 1) == 0 ? 1 : 1 + rnd.nextInt(6), term));
        } else if (op < 80 && last > base) { // compact: snapshot of a prefix of the log (term matches)
          long idx = base + 1 + rnd.nextInt((int) (last - base));
          long t = m.entries().get((int) (idx - base - 1)).term();
          w = write(null, snapshot(rnd, idx, t), rnd.nextBoolean() ? List.of() : entries(rnd, last + 1, 1 + rnd.nextInt(3), term));
        } else if (op < 85) { // installed snapshot from a leader: beyond the log, or a different term
          long idx = last + rnd.nextInt(5) + (last > base && rnd.nextBoolean() ? -rnd.nextInt((int) (last - base)) : 1);
          idx = Math.max(idx, base + 1);
          term++;
          w = write(new HardState(term, null), snapshot(rnd, idx, term), List.of());
        } else if (op < 88) {
          w = write(new HardState(term, "n" + rnd.nextInt(3)), null, List.of());
        } else if (op < 94) { // clean restart
          store.close();
          store = ChronicleLogStore.open(current, opts);
          assertSameState(store.load(), model.load(), at + " after restart");
          continue;
        } else { // crash: everything acknowledged must survive
          current = StoreFiles.crashImage(store, dir.resolve("crash-" + ++crashes));
          store = ChronicleLogStore.open(current, opts);
          assertSameState(store.load(), model.load(), at + " after crash");
          continue;
        }
        if (w == null) {
          continue;
        }
        model.write(w);
        // Sometimes pipeline a few writes before waiting, to exercise group commit.
        CompletableFuture<Void> f = store.write(w);
        f.join();
        PersistentState expected = model.load();
        long eBase = expected.snapshot() == null ? 0 : expected.snapshot().index();
        assertThat(store.firstIndex()).as(at + " first index").isEqualTo(eBase + 1);
        assertThat(store.lastIndex()).as(at + " last index").isEqualTo(eBase + expected.entries().size());
        List<LogEntry> es = expected.entries();
        for (int k = 0; k < Math.min(8, es.size()); k++) { // a sample, and always the last
          LogEntry e = k == 0 ? es.get(es.size() - 1) : es.get(rnd.nextInt(es.size()));
          assertSameEntry(store.entryReader().read(e.index()), e, at); // what a node reads back
        }
      }
      store.close();
      store = ChronicleLogStore.open(current, opts);
      assertSameState(store.load(), model.load(), ctx + " final");
      for (LogEntry e : model.load().entries()) {
        assertSameEntry(store.read(e.index()), e, ctx + " final read");
      }
      // Compaction: after a snapshot of the whole log, whatever the history, only the cycle
      // holding the snapshot record and the one written next remain.
      PersistentState finalState = model.load();
      long finalBase = finalState.snapshot() == null ? 0 : finalState.snapshot().index();
      long last = finalBase + finalState.entries().size();
      if (last > finalBase) {
        LogWrite snap = write(null, new Snapshot(last, finalState.entries().get(finalState.entries().size() - 1).term(), new byte[10]),
            entries(rnd, last + 1, 1, term));
        model.write(snap);
        store.write(snap).join();
        store.write(write(null, null, entries(rnd, last + 2, 1, term))).join();
      }
      assertThat(StoreFiles.cycleFileCount(current)).as(ctx + " cycle files after compaction").isLessThanOrEqualTo(2);
    } finally {
      store.close();
    }
  }

  private static LogWrite write(HardState hs, Snapshot s, List<LogEntry> es) {
    long lastIndex = es.isEmpty() ? (s == null ? 0 : s.index()) : es.get(es.size() - 1).index();
    long lastTerm = es.isEmpty() ? (s == null ? 0 : s.term()) : es.get(es.size() - 1).term();
    return new LogWrite(hs, s, es, lastIndex, lastTerm);
  }

  private static List<LogEntry> entries(Random rnd, long from, int n, long term) {
    List<LogEntry> es = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      if (rnd.nextInt(20) == 0) {
        long i = from + k; // a noop or a membership change; by index, so the random sequence stays as it was
        es.add(i % 2 == 0 ? LogEntry.noop(i, term) : LogEntry.config(i, term, membership(i)));
      } else {
        byte[] d = new byte[rnd.nextInt(rnd.nextInt(10) == 0 ? 3000 : 100)];
        rnd.nextBytes(d);
        es.add(LogEntry.command(from + k, term, d));
      }
    }
    return es;
  }

  private static Snapshot snapshot(Random rnd, long index, long term) {
    byte[] d = new byte[rnd.nextInt(200)];
    rnd.nextBytes(d);
    return new Snapshot(index, term, index % 3 == 0 ? null : membership(index), d);
  }

  /** A membership that differs with {@code i}: joint with a learner when odd. */
  private static Membership membership(long i) {
    Set<String> voters = Set.of("n1", "n2", "n" + (3 + i % 4));
    return i % 2 == 0 ? Membership.ofVoters(voters) : new Membership(voters, Set.of("n1", "n2", "n3"), Set.of("l" + i));
  }
}

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model-based test of the shared log: random interleavings of several groups' appends,
 * conflicting writes (suffix truncation), snapshots (matching or not), hard-state changes, group
 * close and reopen, group deletion, host restart and simulated crash (the host's files copied
 * while it is open), some writes of many groups left in flight together (group commit across
 * groups); each group is checked against its own {@link MemoryLogStore} after every step, and its
 * whole recovered state after every reopen. A failure names the seed ({@code -Draftflow.host.seed=N}
 * adds one).
 */
class HostLogStoreModelTest {
  private static final String[] GROUPS = {"alpha", "beta", "gamma", "delta", "g/5 ü"};

  static List<Long> seeds() {
    List<Long> s = new ArrayList<>(List.of(1L, 2L, 3L, 4L));
    Long extra = Long.getLong("raftflow.host.seed");
    if (extra != null) {
      s.add(extra);
    }
    return s;
  }

  /** One group under test: its store (null while closed), its model, its current term. */
  private static final class Subject {
    HostGroupStore store;
    MemoryLogStore model = new MemoryLogStore();
    long term = 1;
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void everyGroupAgreesWithItsMemoryStore(long seed, @TempDir Path dir) {
    System.out.println("HostLogStoreModelTest seed " + seed);
    Random rnd = new Random(seed);
    ChronicleLogStore.Options opts = TestStoreOptions.SMALL.withSegmentBytes(16 << 10)
        .withRollOnSnapshotBytes(rnd.nextBoolean() ? 0 : 8192).withDurability(seed % 3 == 0 ? Durability.OS_CACHE : Durability.FSYNC);
    String ctx = "seed " + seed;
    Path current = dir.resolve("host");
    ChronicleHostLogStore host = ChronicleHostLogStore.open(current, opts);
    Map<String, Subject> subjects = new HashMap<>();
    for (String g : GROUPS) {
      Subject s = new Subject();
      s.store = (HostGroupStore) host.openGroup(g);
      assertSameState(s.store.load(), s.model.load(), ctx + " fresh " + g);
      subjects.put(g, s);
    }
    List<CompletableFuture<Void>> inFlight = new ArrayList<>();
    int crashes = 0;
    try {
      for (int step = 0; step < 160; step++) {
        String g = GROUPS[rnd.nextInt(GROUPS.length)];
        Subject s = subjects.get(g);
        String at = ctx + " step " + step + " " + g;
        int op = rnd.nextInt(100);
        if (op >= 88) {
          joinAll(inFlight);
          if (op < 92) { // close and reopen one group
            if (s.store != null) {
              s.store.close();
            }
            s.store = (HostGroupStore) host.openGroup(g);
            assertSameState(s.store.load(), s.model.load(), at + " group reopened");
          } else if (op < 94) { // delete one group, start it again empty
            if (s.store != null) {
              s.store.close();
            }
            host.deleteGroup(g);
            assertThat(host.groups()).as(at + " deleted").doesNotContain(g);
            s.model = new MemoryLogStore();
            s.term = 1;
            s.store = (HostGroupStore) host.openGroup(g);
            assertSameState(s.store.load(), s.model.load(), at + " after delete");
          } else { // restart or crash the host: every group reopens
            if (op < 97) {
              host.close();
            } else {
              Path image = dir.resolve("crash-" + ++crashes);
              StoreFiles.copy(current, image);
              host.close();
              current = image;
            }
            host = ChronicleHostLogStore.open(current, opts);
            assertThat(host.groups()).as(at + " groups after restart").containsExactlyInAnyOrder(GROUPS);
            for (String h : GROUPS) {
              Subject t = subjects.get(h);
              t.store = (HostGroupStore) host.openGroup(h);
              assertSameState(t.store.load(), t.model.load(), at + " " + h + " after " + (op < 97 ? "restart" : "crash"));
            }
          }
          continue;
        }
        LogWrite w = randomWrite(rnd, s, op);
        if (w == null) {
          continue;
        }
        s.model.write(w);
        inFlight.add(s.store.write(w));
        if (rnd.nextInt(3) > 0 || w.snapshot() != null) { // sometimes leave several groups' writes in flight
          joinAll(inFlight);
          check(s, rnd, at);
        }
      }
      joinAll(inFlight);
      host.close();
      host = ChronicleHostLogStore.open(current, opts);
      for (String g : GROUPS) {
        Subject s = subjects.get(g);
        s.store = (HostGroupStore) host.openGroup(g);
        PersistentState loaded = s.store.load();
        assertSameState(loaded, s.model.load(), ctx + " final " + g);
        for (LogEntry e : s.model.load().entries()) {
          assertSameEntry(s.store.read(e.index()), e, ctx + " final read " + g);
        }
      }
    } finally {
      host.close();
    }
  }

  private static void joinAll(List<CompletableFuture<Void>> fs) {
    for (CompletableFuture<Void> f : fs) {
      f.join();
    }
    fs.clear();
  }

  /** The group's first and last index and a sample of its entries, read back, against the model. */
  private static void check(Subject s, Random rnd, String at) {
    PersistentState expected = s.model.load();
    long base = expected.snapshot() == null ? 0 : expected.snapshot().index();
    assertThat(s.store.firstIndex()).as(at + " first index").isEqualTo(base + 1);
    assertThat(s.store.lastIndex()).as(at + " last index").isEqualTo(base + expected.entries().size());
    List<LogEntry> es = expected.entries();
    for (int k = 0; k < Math.min(6, es.size()); k++) {
      LogEntry e = k == 0 ? es.get(es.size() - 1) : es.get(rnd.nextInt(es.size()));
      assertSameEntry(s.store.entryReader().read(e.index()), e, at); // what a node reads back
    }
  }

  private static LogWrite randomWrite(Random rnd, Subject s, int op) {
    PersistentState m = s.model.load();
    long base = m.snapshot() == null ? 0 : m.snapshot().index();
    long last = base + m.entries().size();
    if (op < 45) { // append, sometimes in a new term
      HardState hs = null;
      if (rnd.nextInt(5) == 0) {
        s.term++;
        hs = new HardState(s.term, rnd.nextBoolean() ? null : "n" + rnd.nextInt(5));
      }
      return write(hs, null, entries(rnd, last + 1, 1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 30), s.term));
    }
    if (op < 62 && last > base) { // conflicting suffix
      s.term++;
      long from = base + 1 + rnd.nextInt((int) (last - base));
      return write(new HardState(s.term, "n1"), null, entries(rnd, from, 1 + rnd.nextInt(6), s.term));
    }
    if (op < 76 && last > base) { // snapshot of a prefix (term matches)
      long idx = base + 1 + rnd.nextInt((int) (last - base));
      long t = m.entries().get((int) (idx - base - 1)).term();
      return write(null, snapshot(rnd, idx, t), rnd.nextBoolean() ? List.of() : entries(rnd, last + 1, 1 + rnd.nextInt(3), s.term));
    }
    if (op < 82) { // a leader's snapshot: beyond the log, or of another term
      long idx = Math.max(base + 1, last + rnd.nextInt(4) + (last > base && rnd.nextBoolean() ? -rnd.nextInt((int) (last - base)) : 1));
      s.term++;
      return write(new HardState(s.term, null), snapshot(rnd, idx, s.term), List.of());
    }
    return write(new HardState(s.term, "n" + rnd.nextInt(3)), null, List.of());
  }

  static LogWrite write(HardState hs, Snapshot snap, List<LogEntry> es) {
    long lastIndex = es.isEmpty() ? (snap == null ? 0 : snap.index()) : es.get(es.size() - 1).index();
    long lastTerm = es.isEmpty() ? (snap == null ? 0 : snap.term()) : es.get(es.size() - 1).term();
    return new LogWrite(hs, snap, es, lastIndex, lastTerm);
  }

  private static List<LogEntry> entries(Random rnd, long from, int n, long term) {
    List<LogEntry> es = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      long i = from + k;
      if (rnd.nextInt(20) == 0) {
        es.add(i % 2 == 0 ? LogEntry.noop(i, term) : LogEntry.config(i, term, membership(i)));
      } else {
        byte[] d = new byte[rnd.nextInt(rnd.nextInt(10) == 0 ? 2000 : 100)];
        rnd.nextBytes(d);
        es.add(LogEntry.command(i, term, d));
      }
    }
    return es;
  }

  private static Snapshot snapshot(Random rnd, long index, long term) {
    byte[] d = new byte[rnd.nextInt(200)];
    rnd.nextBytes(d);
    return new Snapshot(index, term, index % 3 == 0 ? null : membership(index), d);
  }

  private static Membership membership(long i) {
    Set<String> voters = Set.of("n1", "n2", "n" + (3 + i % 4));
    return i % 2 == 0 ? Membership.ofVoters(voters) : new Membership(voters, Set.of("n1", "n2", "n3"), Set.of("l" + i));
  }
}

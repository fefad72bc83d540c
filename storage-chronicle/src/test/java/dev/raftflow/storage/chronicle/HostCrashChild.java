package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * The child process of {@link HostCrashProcessTest}: opens the host store in {@code args[0]},
 * loads {@code args[2]} groups, prints {@code READY}, then has {@value #LOOPS} threads (each the
 * loop of a share of the groups) write forever: appends, conflicting rewrites in a new term,
 * snapshots, up to four batches in flight per group. It prints {@code ACK <group> <lastIndex>
 * <lastTerm>} when a batch's future completes (in each group's call order) — what it acknowledged.
 * It is killed with SIGKILL at a random moment.
 */
public final class HostCrashChild {
  static final int LOOPS = 4;

  static byte[] payload(String group, long index, long term) {
    byte[] p = CrashChild.payload(index, term);
    byte[] g = (group + " ").getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[g.length + p.length];
    System.arraycopy(g, 0, out, 0, g.length);
    System.arraycopy(p, 0, out, g.length, p.length);
    return out;
  }

  static byte[] snapshotData(String group, long index, long term) {
    return (group + " snapshot " + index + "@" + term).getBytes(StandardCharsets.UTF_8);
  }

  static String name(int g) {
    return "group-" + g;
  }

  /** One group as its loop sees it. */
  private static final class Group {
    final String name;
    final LogStore store;
    final Random rnd;
    long base;
    final List<Long> terms = new ArrayList<>();
    long term;
    final ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();

    Group(String name, LogStore store, long seed) {
      this.name = name;
      this.store = store;
      this.rnd = new Random(seed);
      PersistentState ps = store.load();
      base = ps.snapshot() == null ? 0 : ps.snapshot().index();
      for (LogEntry e : ps.entries()) {
        terms.add(e.term());
      }
      term = Math.max(ps.hardState().term(), terms.isEmpty() ? (ps.snapshot() == null ? 1 : ps.snapshot().term())
          : terms.get(terms.size() - 1));
    }

    void step() {
      long last = base + terms.size();
      int op = rnd.nextInt(100);
      HardState hs = null;
      Snapshot snap = null;
      List<LogEntry> es = new ArrayList<>();
      if (op < 6 && terms.size() > 1) {
        term++;
        hs = new HardState(term, "c");
        long from = last - (1 + rnd.nextInt(Math.min(4, terms.size() - 1))) + 1;
        for (long i = from; i <= last + 1 + rnd.nextInt(3); i++) {
          es.add(LogEntry.command(i, term, payload(name, i, term)));
        }
      } else if (op < 10 && terms.size() > 2) {
        long idx = base + 1 + rnd.nextInt(terms.size() - 1);
        long t = terms.get((int) (idx - base - 1));
        snap = new Snapshot(idx, t, snapshotData(name, idx, t));
      } else {
        int n = 1 + rnd.nextInt(8);
        for (long i = last + 1; i <= last + n; i++) {
          es.add(LogEntry.command(i, term, payload(name, i, term)));
        }
      }
      if (snap != null) {
        terms.subList(0, (int) (snap.index() - base)).clear();
        base = snap.index();
      }
      if (!es.isEmpty()) {
        terms.subList((int) (es.get(0).index() - base - 1), terms.size()).clear();
        for (LogEntry e : es) {
          terms.add(e.term());
        }
      }
      long newLast = base + terms.size();
      long newLastTerm = terms.isEmpty() ? snap.term() : terms.get(terms.size() - 1);
      CompletableFuture<Void> f = store.write(new LogWrite(hs, snap, es, newLast, newLastTerm));
      f.thenRun(() -> System.out.println("ACK " + name + " " + newLast + " " + newLastTerm));
      inFlight.add(f);
      while (inFlight.size() >= 4) {
        inFlight.poll().join();
      }
    }
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Random rnd = new Random(Long.parseLong(args[1]));
    int groups = Integer.parseInt(args[2]);
    ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL.withSegmentBytes(256 << 10));
    List<List<Group>> loops = new ArrayList<>();
    for (int t = 0; t < LOOPS; t++) {
      loops.add(new ArrayList<>());
    }
    for (int g = 0; g < groups; g++) {
      loops.get(g % LOOPS).add(new Group(name(g), host.openGroup(name(g)), rnd.nextLong()));
    }
    System.out.println("READY");
    for (List<Group> mine : loops) {
      Thread t = new Thread(() -> {
        while (true) {
          for (Group g : mine) {
            g.step();
          }
        }
      });
      t.start();
    }
  }
}

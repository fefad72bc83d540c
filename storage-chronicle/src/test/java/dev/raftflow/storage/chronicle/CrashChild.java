package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
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
 * The child process of {@link CrashProcessTest}: recovers the store in {@code args[0]}, prints
 * {@code READY}, then writes forever (appends, conflicting rewrites with a new term, snapshots),
 * up to four batches in flight, printing {@code ACK <lastIndex> <lastTerm>} when each batch's
 * future completes — that is what it acknowledged. It is killed with SIGKILL at a random moment.
 */
public final class CrashChild {

  static byte[] payload(long index, long term) {
    StringBuilder sb = new StringBuilder("entry ").append(index).append('@').append(term).append(' ');
    int n = (int) ((index * 7919 + term) % 200);
    for (int k = 0; k < n; k++) {
      sb.append((char) ('a' + (index + k) % 26));
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  static byte[] snapshotData(long index, long term) {
    return ("snapshot " + index + "@" + term).getBytes(StandardCharsets.UTF_8);
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Random rnd = new Random(Long.parseLong(args[1]));
    ChronicleLogStore store = ChronicleLogStore.open(dir, TestStoreOptions.SMALL.withSegmentBytes(64 << 10));
    PersistentState ps = store.load();
    long base = ps.snapshot() == null ? 0 : ps.snapshot().index();
    List<Long> terms = new ArrayList<>(); // terms.get(k) = term of entry base + 1 + k
    for (LogEntry e : ps.entries()) {
      terms.add(e.term());
    }
    long term = Math.max(ps.hardState().term(), terms.isEmpty() ? (ps.snapshot() == null ? 1 : ps.snapshot().term())
        : terms.get(terms.size() - 1));
    System.out.println("READY " + (base + terms.size()));
    System.out.flush();
    ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
    while (true) {
      long last = base + terms.size();
      int op = rnd.nextInt(100);
      HardState hs = null;
      Snapshot snap = null;
      List<LogEntry> es = new ArrayList<>();
      if (op < 8 && terms.size() > 1) { // conflicting rewrite of a short suffix, in a new term
        term++;
        hs = new HardState(term, "c");
        int k = 1 + rnd.nextInt(Math.min(5, terms.size() - 1));
        long from = last - k + 1;
        for (long i = from; i <= last + 1 + rnd.nextInt(3); i++) {
          es.add(LogEntry.command(i, term, payload(i, term)));
        }
      } else if (op < 13 && terms.size() > 2) { // snapshot of a prefix
        long idx = base + 1 + rnd.nextInt(terms.size() - 1);
        long t = terms.get((int) (idx - base - 1));
        snap = new Snapshot(idx, t, snapshotData(idx, t));
      } else {
        int n = 1 + rnd.nextInt(32);
        for (long i = last + 1; i <= last + n; i++) {
          es.add(LogEntry.command(i, term, payload(i, term)));
        }
      }
      if (snap != null) {
        terms.subList(0, (int) (snap.index() - base)).clear();
        base = snap.index();
      }
      if (!es.isEmpty()) {
        long from = es.get(0).index();
        terms.subList((int) (from - base - 1), terms.size()).clear();
        for (LogEntry e : es) {
          terms.add(e.term());
        }
      }
      long newLast = base + terms.size();
      long newLastTerm = terms.isEmpty() ? snap.term() : terms.get(terms.size() - 1);
      CompletableFuture<Void> f = store.write(new LogWrite(hs, snap, es, newLast, newLastTerm));
      f.thenRun(() -> {
        System.out.println("ACK " + newLast + " " + newLastTerm);
        System.out.flush();
      });
      inFlight.add(f);
      while (inFlight.size() >= 4) {
        inFlight.poll().join();
      }
    }
  }
}

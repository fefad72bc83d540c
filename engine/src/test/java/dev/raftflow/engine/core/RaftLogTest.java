package dev.raftflow.engine.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.message.EntryType;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.Snapshot;
import dev.raftflow.engine.spi.StoredEntries;
import dev.raftflow.engine.spi.StoredEntryList;
import dev.raftflow.engine.Membership;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The log with its recovered entries left in the store, and entries released to it, behaves exactly
 * as the log loaded into memory: the same random operations on both give the same answers, and the
 * store is read only for entries actually needed.
 */
class RaftLogTest {

  /** A store's recovered entries, counting reads; entries it "dropped" (a snapshot) fail to read. */
  static final class FakeStored implements StoredEntries {
    final List<LogEntry> entries;
    final long first;
    long droppedUpTo;
    int reads;

    FakeStored(long first, List<LogEntry> entries) {
      this.first = first;
      this.entries = entries;
    }

    @Override
    public long firstIndex() {
      return first;
    }

    @Override
    public long lastIndex() {
      return first + entries.size() - 1;
    }

    @Override
    public long termAt(long index) {
      return entries.get((int) (index - first)).term();
    }

    @Override
    public LogEntry read(long index) {
      if (index <= droppedUpTo) {
        throw new IllegalStateException("entry " + index + " was dropped by a snapshot");
      }
      reads++;
      return entries.get((int) (index - first));
    }

    @Override
    public long[] configIndexes() {
      return entries.stream().filter(e -> e.type() == EntryType.CONFIG).mapToLong(LogEntry::index).toArray();
    }
  }

  private static List<LogEntry> randomEntries(Random r, long first, int n, long startTerm) {
    List<LogEntry> out = new ArrayList<>();
    long term = startTerm;
    for (int i = 0; i < n; i++) {
      if (r.nextInt(20) == 0) {
        term++;
      }
      out.add(LogEntry.command(first + i, term, new byte[] {(byte) i, (byte) r.nextInt()}));
    }
    return out;
  }

  @Test
  void theSameOperationsGiveTheSameLogWithTheEntriesLeftInTheStore() {
    for (long seed = 1; seed <= 600; seed++) {
      Random r = new Random(seed);
      long base = r.nextInt(3) == 0 ? 0 : r.nextInt(50);
      Snapshot snap = base == 0 ? null : new Snapshot(base, 1, Membership.ofVoters(List.of("a")), new byte[0]);
      List<LogEntry> recovered = randomEntries(r, base + 1, r.nextInt(60), 1);
      FakeStored store = new FakeStored(base + 1, recovered);
      RaftLog lazy = new RaftLog(snap, new StoredEntryList(store));
      RaftLog eager = new RaftLog(snap, recovered);
      boolean releasing = seed % 2 == 0;
      if (releasing) { // the store holds what the log holds (every write reaches it) less what it dropped
        lazy.readBackThrough(index -> {
          if (index <= store.droppedUpTo) {
            throw new IllegalStateException("entry " + index + " was dropped by a snapshot");
          }
          return eager.entry(index);
        });
      }
      assertThat(store.reads).isZero();
      for (int step = 0; step < 80; step++) {
        long last = eager.lastIndex();
        switch (r.nextInt(7)) {
          case 0, 1 -> {
            for (LogEntry e : randomEntries(r, last + 1, 1 + r.nextInt(5), Math.max(1, eager.lastTerm()))) {
              lazy.append(e);
              eager.append(e);
            }
          }
          case 2 -> {
            if (last > eager.baseIndex()) {
              long from = eager.baseIndex() + 1 + r.nextInt((int) (last - eager.baseIndex()));
              lazy.truncateFrom(from);
              eager.truncateFrom(from);
            }
          }
          case 3 -> {
            long to = eager.baseIndex() + r.nextInt((int) (last - eager.baseIndex() + 2));
            long term = eager.termAt(Math.min(to, last));
            lazy.compactTo(to, term < 0 ? 7 : term);
            eager.compactTo(to, term < 0 ? 7 : term);
          }
          case 4 -> {
            long upTo = eager.baseIndex() + r.nextInt((int) (last - eager.baseIndex() + 2));
            lazy.materializeUpTo(upTo);
            store.droppedUpTo = Math.max(store.droppedUpTo, upTo); // the store may drop them now
          }
          case 5 -> {
            // as the member does: only while nothing at or below the dropped snapshot would go
            if (releasing && lazy.storedLastIndex() >= store.droppedUpTo) {
              long inMemory = lazy.inMemoryCount();
              long upTo = eager.baseIndex() + r.nextInt((int) (last - eager.baseIndex() + 2));
              lazy.releaseUpTo(upTo);
              assertThat(lazy.inMemoryCount()).isLessThanOrEqualTo(inMemory);
              if (upTo > lazy.baseIndex() && upTo <= last) {
                assertThat(lazy.storedLastIndex()).isGreaterThanOrEqualTo(upTo);
              }
            }
          }
          default -> {
            if (r.nextInt(10) == 0) {
              long at = last + r.nextInt(5);
              lazy.resetTo(at, 9);
              eager.resetTo(at, 9);
            }
          }
        }
        assertSame(lazy, eager, r);
      }
    }
  }

  private static void assertSame(RaftLog lazy, RaftLog eager, Random r) {
    assertThat(lazy.baseIndex()).isEqualTo(eager.baseIndex());
    assertThat(lazy.baseTerm()).isEqualTo(eager.baseTerm());
    assertThat(lazy.lastIndex()).isEqualTo(eager.lastIndex());
    assertThat(lazy.lastTerm()).isEqualTo(eager.lastTerm());
    for (long i = eager.baseIndex() - 1; i <= eager.lastIndex() + 1; i++) {
      assertThat(lazy.termAt(i)).as("term at %d", i).isEqualTo(eager.termAt(i));
    }
    for (long i = eager.firstIndex(); i <= eager.lastIndex(); i++) {
      assertThat(lazy.entry(i)).isEqualTo(eager.entry(i));
    }
    long from = eager.firstIndex() + r.nextInt((int) (eager.lastIndex() - eager.baseIndex() + 1));
    int max = 1 + r.nextInt(10);
    assertThat(lazy.slice(from, max, 5)).isEqualTo(eager.slice(from, max, 5));
    assertThat(lazy.suffix(from)).isEqualTo(eager.suffix(from));
  }

  @Test
  void restartingReadsNothingUntilAnEntryIsNeeded() {
    Random r = new Random(5);
    List<LogEntry> recovered = randomEntries(r, 1, 100_000, 1);
    FakeStored store = new FakeStored(1, recovered);
    RaftLog log = new RaftLog(null, new StoredEntryList(store));
    assertThat(log.lastIndex()).isEqualTo(100_000);
    assertThat(log.lastTerm()).isEqualTo(recovered.get(99_999).term());
    assertThat(log.isUpToDate(100_000, log.lastTerm())).isTrue();
    assertThat(store.reads).as("terms come without reading entries").isZero();
    log.slice(50_001, 10, Long.MAX_VALUE);
    assertThat(store.reads).isEqualTo(10);
    assertThat(log.storedCount()).isEqualTo(100_000);
  }

  @Test
  void beforeASnapshotOnlyTheEntriesStillKeptAreCopiedIntoMemory() {
    Random r = new Random(6);
    List<LogEntry> recovered = randomEntries(r, 1, 10_000, 1);
    FakeStored store = new FakeStored(1, recovered);
    RaftLog log = new RaftLog(null, new StoredEntryList(store));
    log.compactTo(8_990, log.termAt(8_990)); // a leader keeping 10 entries behind a snapshot at 9,000
    log.materializeUpTo(9_000);
    assertThat(store.reads).isEqualTo(10);
    store.droppedUpTo = 9_000;
    assertThat(log.entry(8_991)).isEqualTo(recovered.get(8_990));
    assertThat(log.entry(9_001)).isEqualTo(recovered.get(9_000));
    assertThatThrownBy(() -> log.entry(8_990)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void releasedEntriesLeaveMemoryAndReadBackTheSame() {
    Random r = new Random(7);
    List<LogEntry> written = randomEntries(r, 1, 1_000, 1);
    int[] reads = new int[1];
    RaftLog log = new RaftLog(null, List.of());
    log.readBackThrough(index -> {
      reads[0]++;
      return written.get((int) index - 1);
    });
    written.forEach(log::append);
    log.releaseUpTo(900);
    assertThat(log.inMemoryCount()).isEqualTo(100);
    assertThat(log.storedCount()).isEqualTo(900);
    assertThat(log.termAt(450)).isEqualTo(written.get(449).term());
    assertThat(reads[0]).as("terms come without reading entries").isZero();
    assertThat(log.slice(890, 20, Long.MAX_VALUE)).isEqualTo(written.subList(889, 909));
    assertThat(reads[0]).isEqualTo(11);
    log.releaseUpTo(2_000); // never past the end
    assertThat(log.inMemoryCount()).isZero();
    assertThat(log.lastIndex()).isEqualTo(1_000);
  }

  @Test
  void withoutAReaderNothingIsReleased() {
    RaftLog log = new RaftLog(null, List.of());
    randomEntries(new Random(8), 1, 50, 1).forEach(log::append);
    log.releaseUpTo(40);
    assertThat(log.inMemoryCount()).isEqualTo(50);
    assertThat(log.storedCount()).isZero();
  }
}

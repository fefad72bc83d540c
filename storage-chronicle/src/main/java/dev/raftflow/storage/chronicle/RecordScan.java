package dev.raftflow.storage.chronicle;

import static dev.raftflow.storage.chronicle.QueueLog.NONE;
import static dev.raftflow.storage.chronicle.QueueLog.cycleOf;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Recovery's pass over a queue's documents, in order, skipping what the {@link ResetFile}'s cut
 * points void: hands out each document's queue index and bytes, or why it could not be read (a
 * document Chronicle cannot read, or a cycle that stops although later cycle files exist). Used by
 * {@link LogRecovery} and {@link HostRecovery}, on the recovering thread.
 */
final class RecordScan implements AutoCloseable {

  /** A document at queue index {@code qi}: its bytes, or (raw null) what is wrong there. */
  record Doc(long qi, byte[] raw, String bad) {}

  private final QueueLog log;
  private final ResetFile resets;
  private final ExcerptTailer t;

  RecordScan(QueueLog log, ResetFile resets) {
    this.log = log;
    this.resets = resets;
    this.t = log.queue().createTailer();
    t.toStart();
  }

  /**
   * The next document not voided by a cut point, or null at the end of the log. {@code lastGood}
   * (the last document the caller accepted, or {@link QueueLog#NONE}) places an unreadable one.
   */
  Doc next(long lastGood) {
    while (true) {
      long qi;
      byte[] raw = null;
      String bad = null;
      boolean present;
      try (DocumentContext dc = t.readingDocument()) {
        present = dc.isPresent();
        if (present) {
          qi = dc.index();
          Bytes<?> b = dc.wire().bytes();
          raw = new byte[(int) b.readRemaining()];
          b.read(raw);
        } else {
          qi = t.index();
        }
      } catch (RuntimeException e) {
        present = true;
        qi = lastGood == NONE ? t.index() : Math.max(t.index(), lastGood + 1);
        raw = null;
        bad = "unreadable: " + e;
      }
      int c = cycleOf(qi);
      Long cut = resets.cut(c);
      if (cut != null && qi >= cut) {
        Integer next = log.laterCycle(c);
        if (next == null || !t.moveToCycle(next)) {
          return null;
        }
        continue;
      }
      boolean later = log.laterCycle(c) != null;
      if (!present && !later) {
        return null; // the end
      }
      if (!present) {
        bad = "log stops in cycle " + c + " although later cycle files exist";
      }
      return new Doc(qi, bad == null ? raw : null, bad);
    }
  }

  @Override
  public void close() {
    t.close();
  }
}

package dev.raftflow.storage.chronicle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the header of every cycle file before recovery replays the queue, so that a damaged
 * header is reported as such, naming the file, instead of surfacing as one of Chronicle's own
 * exceptions (or a wait for a header that never completes).
 *
 * <p>Two passes: {@link #checkBytes} reads the first bytes of each file itself (a complete metadata
 * document whose first field is {@code header: !SCQStore}), before Chronicle opens the queue;
 * {@link #checkStores} then has Chronicle parse each file's header, one file at a time. A damaged
 * header in a file holding acknowledged records is refused (a cycle file's header is written and
 * synced before any record in it is acknowledged); in a later file it is a torn tail, dropped.
 * Runs on the thread that loads the store.
 */
final class CycleFileHeaders {
  private static final Logger LOG = LoggerFactory.getLogger(CycleFileHeaders.class);
  private static final int NOT_COMPLETE = 0x80000000;
  private static final int META_DATA = 0x40000000;
  private static final int LENGTH_MASK = 0x3fffffff;
  /** Chronicle's binary wire for {@code header: !SCQStore}, which every cycle file starts with. */
  private static final byte[] HEADER_START = headerStart();

  private CycleFileHeaders() {}

  private static byte[] headerStart() {
    ByteBuffer b = ByteBuffer.allocate(64);
    b.put((byte) 0xb9).put((byte) 6).put("header".getBytes(StandardCharsets.US_ASCII));
    b.put((byte) 0xb6).put((byte) 8).put("SCQStore".getBytes(StandardCharsets.US_ASCII));
    byte[] out = new byte[b.position()];
    b.flip().get(out);
    return out;
  }

  /**
   * Checks the first bytes of every cycle file. A damaged header in a file after the one holding
   * the acknowledged record {@code acked} (any file, when {@code acked} is {@link QueueLog#NONE}) is
   * a torn tail, like a file a crash left half-created: that file and all later ones are deleted
   * (they hold nothing acknowledged) and a warning is logged. Returns whether files were deleted.
   *
   * @throws StoreRefusedException if a file holding acknowledged records has a damaged header
   */
  static boolean checkBytes(StoreDirectory dir, long acked) throws IOException {
    if (!Files.isDirectory(dir.queue())) {
      return false;
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir.queue())) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".cq4")).sorted().toList();
    }
    for (int k = 0; k < files.size(); k++) {
      Path f = files.get(k);
      String why = problem(f);
      if (why == null) {
        continue;
      }
      if (!beyond(f, acked)) {
        throw damaged(dir, f, why, null);
      }
      for (Path later : files.subList(k, files.size())) {
        Files.deleteIfExists(later);
      }
      warnTail(dir, f, why, files.size() - k);
      return true;
    }
    return false;
  }

  /** Whether cycle file {@code f} comes after the one holding queue index {@code acked}. */
  private static boolean beyond(Path f, long acked) {
    return acked == QueueLog.NONE
        || f.getFileName().toString().compareTo(CycleFiles.fileName(QueueLog.ROLL_CYCLE, QueueLog.cycleOf(acked))) > 0;
  }

  private static void warnTail(StoreDirectory dir, Path f, String why, int count) {
    LOG.warn("log in {}: cycle file {} has a damaged header ({}) and holds no acknowledged record (a torn tail, e.g."
        + " a file a crash left half-created): deleted it and {} later cycle file(s)", dir.path(), f, why, count - 1);
  }

  private static String problem(Path f) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      long size = ch.size();
      ByteBuffer b = ByteBuffer.allocate(4 + HEADER_START.length).order(ByteOrder.LITTLE_ENDIAN);
      while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
        // read what there is
      }
      if (b.position() < b.capacity()) {
        return "the file is " + size + " bytes long, too short for a cycle file header";
      }
      int word = b.getInt(0);
      int length = word & LENGTH_MASK;
      if ((word & NOT_COMPLETE) != 0 || (word & META_DATA) == 0) {
        return String.format("the header's length word 0x%08x is not that of a complete header", word);
      }
      if (length < HEADER_START.length || 4L + length > size) {
        return "the header's length " + length + " does not fit the file (" + size + " bytes)";
      }
      for (int k = 0; k < HEADER_START.length; k++) {
        if (b.get(4 + k) != HEADER_START[k]) {
          return "the header does not start with Chronicle's 'header: !SCQStore' (byte " + (4 + k) + " differs)";
        }
      }
      return null;
    }
  }

  /**
   * Has Chronicle read each cycle file's header on its own, naming the file it fails on; a file
   * beyond the acknowledged record {@code acked} is dropped as in {@link #checkBytes}.
   *
   * @throws StoreRefusedException if Chronicle cannot read the header of a file holding
   *     acknowledged records
   */
  static void checkStores(StoreDirectory dir, QueueLog log, long acked) throws IOException {
    SingleChronicleQueue queue = log.queue();
    int first = queue.firstCycle();
    int last = queue.lastCycle();
    if (first == Integer.MAX_VALUE || last == Integer.MIN_VALUE) {
      return;
    }
    List<Long> cycles = List.copyOf(queue.listCyclesBetween(first, last));
    for (int k = 0; k < cycles.size(); k++) {
      int cycle = cycles.get(k).intValue();
      Path f = log.files().file(cycle);
      SingleChronicleQueueStore store;
      try {
        store = queue.storeForCycle(cycle, 0, false, null);
      } catch (RuntimeException e) {
        String why = "Chronicle cannot read it (" + e + ")";
        if (!beyond(f, acked)) {
          throw damaged(dir, f, why, e);
        }
        for (Long later : cycles.subList(k, cycles.size())) {
          log.files().delete(later.intValue());
        }
        queue.refreshDirectoryListing();
        warnTail(dir, f, why, cycles.size() - k);
        return;
      }
      if (store != null) {
        queue.closeStore(store);
      }
    }
  }

  private static StoreRefusedException damaged(StoreDirectory dir, Path f, String why, Throwable cause) {
    return new StoreRefusedException(dir.path(), f, "the cycle file's header is damaged: " + why,
        StoreRefusedException.Recovery.WIPE_AND_REJOIN, cause);
  }
}

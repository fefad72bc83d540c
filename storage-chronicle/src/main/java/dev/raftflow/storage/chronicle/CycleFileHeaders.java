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

/**
 * Checks the header of every cycle file before recovery replays the queue, so that a damaged
 * header is reported as such, naming the file, instead of surfacing as one of Chronicle's own
 * exceptions (or a wait for a header that never completes).
 *
 * <p>Two passes: {@link #checkBytes} reads the first bytes of each file itself (a complete metadata
 * document whose first field is {@code header: !SCQStore}), before Chronicle opens the queue;
 * {@link #checkStores} then has Chronicle parse each file's header, one file at a time. Any damage
 * is refused: a cycle file's header is written and synced before any record of it is acknowledged.
 * Runs on the thread that loads the store.
 */
final class CycleFileHeaders {
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

  /** Refuses the store if a cycle file in its queue directory does not start with a sound header. */
  static void checkBytes(StoreDirectory dir) throws IOException {
    if (!Files.isDirectory(dir.queue())) {
      return;
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir.queue())) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".cq4")).sorted().toList();
    }
    for (Path f : files) {
      String why = problem(f);
      if (why != null) {
        throw damaged(dir, f, why, null);
      }
    }
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

  /** Has Chronicle read each cycle file's header on its own, naming the file it fails on. */
  static void checkStores(StoreDirectory dir, QueueLog log) {
    SingleChronicleQueue queue = log.queue();
    int first = queue.firstCycle();
    int last = queue.lastCycle();
    if (first == Integer.MAX_VALUE || last == Integer.MIN_VALUE) {
      return;
    }
    for (Long c : queue.listCyclesBetween(first, last)) {
      int cycle = c.intValue();
      SingleChronicleQueueStore store;
      try {
        store = queue.storeForCycle(cycle, 0, false, null);
      } catch (RuntimeException e) {
        throw damaged(dir, log.files().file(cycle), "Chronicle cannot read its header (" + e + ")", e);
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

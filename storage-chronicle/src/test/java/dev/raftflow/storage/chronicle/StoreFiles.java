package dev.raftflow.storage.chronicle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.queue.rollcycles.LegacyRollCycles;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * What tests read or do to a store's directory from outside the store: copy it (a crash image),
 * count its cycle files and its records. The layout is the one {@link ChronicleLogStore} documents.
 */
final class StoreFiles {

  private StoreFiles() {}

  /**
   * The image a process crash leaves of the open store {@code store}: its files as they are now
   * (what the store wrote is in the page cache, which survives a process crash; nothing more gets
   * written or synced), copied to the new directory {@code target}. Then closes {@code store},
   * whose directory is left behind. Writes still in flight may or may not be in the image, as in a
   * crash; keep snapshots out of flight while it is taken (a file copy is not atomic: a snapshot
   * file replaced during the copy could be missing from it).
   */
  static Path crashImage(ChronicleLogStore store, Path target) {
    copy(store.directory(), target);
    store.close();
    return target;
  }

  /**
   * Copies a store directory (not its {@code LOCK}) to {@code target}, keeping Chronicle's sparse
   * files sparse. The acknowledged watermark is copied first, so that a copy taken while the store
   * writes never names a record the copied queue lacks.
   */
  static void copy(Path from, Path target) {
    try {
      Files.createDirectories(target);
      List<Path> files = new ArrayList<>();
      try (Stream<Path> walk = Files.walk(from)) {
        walk.filter(p -> !p.equals(from)).forEach(files::add);
      }
      files.sort(Comparator.comparing((Path p) -> !p.getFileName().toString().equals("ack")));
      for (Path src : files) {
        Path dst = target.resolve(from.relativize(src).toString());
        if (Files.isDirectory(src)) {
          Files.createDirectories(dst);
        } else if (!src.getFileName().toString().equals("LOCK") && Files.exists(src)) {
          Files.createDirectories(dst.getParent());
          sparseCopy(src, dst);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + from + " to " + target, e);
    }
  }

  private static void sparseCopy(Path src, Path dst) throws IOException {
    try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ);
        FileChannel out = FileChannel.open(dst, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      long size = in.size();
      ByteBuffer buf = ByteBuffer.allocate(64 << 10);
      for (long pos = 0; pos < size; ) {
        buf.clear();
        int n = in.read(buf, pos);
        if (n <= 0) {
          break;
        }
        if (!allZero(buf, n)) { // a run of zeros stays a hole
          buf.flip();
          while (buf.hasRemaining()) {
            out.write(buf, pos + buf.position());
          }
        }
        pos += n;
      }
      if (out.size() < size) {
        out.write(ByteBuffer.allocate(1), size - 1);
      }
    }
  }

  private static boolean allZero(ByteBuffer buf, int n) {
    for (int k = 0; k < n; k++) {
      if (buf.get(k) != 0) {
        return false;
      }
    }
    return true;
  }

  /** Number of Chronicle cycle files in the store's queue. */
  static int cycleFileCount(Path storeDir) {
    try (Stream<Path> s = Files.list(storeDir.resolve("queue"))) {
      return (int) s.filter(p -> p.getFileName().toString().endsWith(".cq4")).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Number of records (Chronicle documents) in the store's queue, read with a queue of its own;
   * the store may be open. Counts every document, voided ones too: use it on a fresh store.
   */
  static long recordCount(Path storeDir) {
    try (SingleChronicleQueue q = SingleChronicleQueueBuilder.binary(storeDir.resolve("queue"))
        .rollCycle(LegacyRollCycles.MINUTELY).readOnly(true).build();
        ExcerptTailer t = q.createTailer()) {
      long n = 0;
      while (true) {
        try (DocumentContext dc = t.readingDocument()) {
          if (!dc.isPresent()) {
            return n;
          }
          n++;
        }
      }
    }
  }
}

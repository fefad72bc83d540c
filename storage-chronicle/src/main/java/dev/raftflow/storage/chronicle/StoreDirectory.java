package dev.raftflow.storage.chronicle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A store's directory: where each of its files lives (see {@link ChronicleLogStore} for the
 * layout), the exclusive {@code LOCK} that makes it one store's, and the {@code format} file that
 * names the storage format it holds.
 *
 * <p>Not thread-safe; the store opens and releases it under its own lock.
 */
final class StoreDirectory {

  /** Name of the file naming the storage format. */
  static final String FORMAT_FILE = "format";

  private final Path dir;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private StoreDirectory(Path dir, FileChannel lockChannel, FileLock lock) {
    this.dir = dir;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Creates {@code dir} if absent and takes its lock.
   *
   * @throws IllegalStateException if another store holds the directory
   * @throws UncheckedIOException if the directory or its lock file cannot be opened
   */
  static StoreDirectory lock(Path dir) {
    try {
      Files.createDirectories(dir);
      FileChannel ch = FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        ch.close();
        throw new IllegalStateException("log directory " + dir + " is in use by another store");
      }
      return new StoreDirectory(dir, ch, lock);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open log directory " + dir, e);
    }
  }

  Path path() {
    return dir;
  }

  Path queue() {
    return dir.resolve("queue");
  }

  Path ack() {
    return dir.resolve("ack");
  }

  Path resets() {
    return dir.resolve("resets");
  }

  Path snapshots() {
    return dir.resolve("snapshots");
  }

  /** Releases the lock. Idempotent, quiet. */
  void release() {
    try {
      lock.release();
    } catch (IOException ignored) {
      // closing the channel releases it too
    }
    try {
      lockChannel.close();
    } catch (IOException ignored) {
      // best effort on shutdown
    }
  }

  private static String formatLine(int format) {
    return "raftflow-chronicle-log format " + format + "\n";
  }

  /**
   * Refuses a directory written in another storage format; marks a new one with this format
   * (durably, before anything else is written).
   *
   * @throws IllegalStateException if the directory holds another format
   */
  void checkFormat() throws IOException {
    Path f = dir.resolve(FORMAT_FILE);
    if (Files.exists(f)) {
      String line = Files.readString(f, StandardCharsets.UTF_8);
      if (!line.equals(formatLine(Records.FORMAT))) {
        throw new IllegalStateException("log in " + dir + " has storage format '" + line.strip() + "'; this build reads"
            + " only format " + Records.FORMAT + " (" + formatLine(Records.FORMAT).strip() + ")");
      }
      return;
    }
    boolean used = Files.exists(ack()) || Files.exists(resets());
    if (!used && Files.isDirectory(queue())) {
      try (var files = Files.list(queue())) {
        used = files.anyMatch(p -> p.getFileName().toString().endsWith(".cq4"));
      }
    }
    if (used) {
      throw new IllegalStateException("log in " + dir + " was written by storage format 1 (one Chronicle document per"
          + " entry, no '" + FORMAT_FILE + "' file); this build reads only format " + Records.FORMAT
          + ". Refusing to misread it: move it away or migrate it with the release that wrote it");
    }
    Path tmp = dir.resolve(FORMAT_FILE + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(formatLine(Records.FORMAT).getBytes(StandardCharsets.UTF_8));
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE);
    SnapshotFiles.syncDirectory(dir);
  }
}

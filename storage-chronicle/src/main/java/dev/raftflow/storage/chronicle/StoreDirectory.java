package dev.raftflow.storage.chronicle;

import java.io.IOException;
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
   * @throws StoreRefusedException if another store holds the directory, or the directory or its
   *     lock file cannot be created or opened
   */
  static StoreDirectory lock(Path dir) {
    Path lockFile = dir.resolve("LOCK");
    try {
      Files.createDirectories(dir);
      FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        ch.close();
        throw new StoreRefusedException(dir, lockFile, "the directory is in use by another store",
            StoreRefusedException.Recovery.IN_USE);
      }
      return new StoreDirectory(dir, ch, lock);
    } catch (IOException e) {
      throw new StoreRefusedException(dir, lockFile, "cannot create or lock the directory (" + e + ")",
          StoreRefusedException.Recovery.FIX_ACCESS, e);
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

  /** The name in a single-group store's {@code format} line. */
  static final String LOG_FORMAT_NAME = "raftflow-chronicle-log";

  private static String formatLine(String name, int format) {
    return name + " format " + format + "\n";
  }

  /**
   * {@link #checkFormat(String, int)} for a single-group store ({@link ChronicleLogStore}). A format
   * {@link Records#UPGRADES_FROM} directory (same records; snapshot files RFS1/RFS2, which this build
   * reads too) is upgraded: its line is rewritten to {@link Records#FORMAT}, durably, before anything
   * else, so that a build reading only the older format refuses it as newer from then on, instead of
   * taking a snapshot file it cannot read (RFS3) for damage.
   */
  void checkFormat() throws IOException {
    Path f = dir.resolve(FORMAT_FILE);
    if (Files.exists(f)
        && Files.readString(f, StandardCharsets.UTF_8).equals(formatLine(LOG_FORMAT_NAME, Records.UPGRADES_FROM))) {
      writeFormatLine(LOG_FORMAT_NAME, Records.FORMAT);
    }
    checkFormat(LOG_FORMAT_NAME, Records.FORMAT);
  }

  /**
   * Refuses a directory written in another storage format, or holding a store's files without its
   * {@code format} file (damaged: the file is written before anything else); marks a new (empty)
   * one with this format, durably, before anything else is written. A format line of this store's
   * kind with another number is refused as newer or older than this build, naming both numbers;
   * never as damage.
   *
   * @throws StoreRefusedException if the directory holds another format or lost its format file
   */
  void checkFormat(String name, int format) throws IOException {
    Path f = dir.resolve(FORMAT_FILE);
    if (Files.exists(f)) {
      String line = Files.readString(f, StandardCharsets.UTF_8);
      if (!line.equals(formatLine(name, format))) {
        throw new StoreRefusedException(dir, f, describeOther(line, name, format),
            StoreRefusedException.Recovery.OTHER_FORMAT);
      }
      return;
    }
    Path evidence = storeFile();
    if (evidence != null) {
      throw new StoreRefusedException(dir, f, "the '" + FORMAT_FILE + "' file is missing but the directory holds a"
          + " store's files (" + evidence + "): the directory is damaged or incomplete (a directory of this or any"
          + " later build always has it; format 1, which had none, is no longer read)",
          StoreRefusedException.Recovery.WIPE_AND_REJOIN);
    }
    writeFormatLine(name, format);
  }

  /** Writes the {@code format} file with this line, durably (temp file, fsync, rename, directory fsync). */
  private void writeFormatLine(String name, int format) throws IOException {
    Path f = dir.resolve(FORMAT_FILE);
    Path tmp = dir.resolve(FORMAT_FILE + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(formatLine(name, format).getBytes(StandardCharsets.UTF_8));
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE);
    SnapshotFiles.syncDirectory(dir);
  }

  /** Why {@code line} is not this build's format line, naming the format found and the one read. */
  private static String describeOther(String line, String name, int format) {
    String found = line.strip();
    String expected = formatLine(name, format).strip();
    String prefix = name + " format ";
    int number = -1;
    if (found.startsWith(prefix)) {
      try {
        number = Integer.parseInt(found.substring(prefix.length()));
      } catch (NumberFormatException notANumber) {
        number = -1;
      }
    }
    if (number > format) {
      return "storage format " + number + " ('" + found + "') was written by a newer raftflow version; this build"
          + " reads only format " + format + " ('" + expected + "'), so it leaves the directory as it is: run a"
          + " version that reads format " + number;
    }
    if (number >= 0) {
      return "storage format " + number + " ('" + found + "') was written by an older raftflow version; this build"
          + " reads only format " + format + " ('" + expected + "') and does not convert it";
    }
    return "storage format '" + found + "'; this build reads only format " + format + " ('" + expected + "')";
  }

  /**
   * A file only a store that wrote something leaves behind (its watermark, cut points, a cycle
   * file, a snapshot), or null when the directory holds none: a new directory.
   */
  Path storeFile() throws IOException {
    for (Path p : new Path[] {ack(), resets()}) {
      if (Files.exists(p)) {
        return p;
      }
    }
    Path cycle = firstCycleFile();
    if (cycle != null) {
      return cycle;
    }
    if (Files.isDirectory(snapshots())) {
      try (var files = Files.list(snapshots())) {
        return files.filter(p -> p.getFileName().toString().endsWith(".snap")).findFirst().orElse(null);
      }
    }
    return null;
  }

  /** The first Chronicle cycle file of the queue (by name), or null when there is none. */
  Path firstCycleFile() throws IOException {
    if (!Files.isDirectory(queue())) {
      return null;
    }
    try (var files = Files.list(queue())) {
      return files.filter(p -> p.getFileName().toString().endsWith(".cq4")).sorted().findFirst().orElse(null);
    }
  }

  /**
   * Refuses to go on without the acknowledged watermark once the log holds records: without it a
   * damaged acknowledged record would pass for a torn tail and be dropped. A new store creates the
   * file with a valid slot (and syncs the directory) before it writes its first record, so a
   * missing file means it was deleted or lost.
   *
   * @throws StoreRefusedException if the {@code ack} file is missing from a store with records
   */
  void checkAckPresent() throws IOException {
    if (Files.exists(ack())) {
      return;
    }
    Path cycle = firstCycleFile();
    if (cycle != null) {
      throw new StoreRefusedException(dir, ack(), "the acknowledged watermark file is missing but the log holds records"
          + " (" + cycle + "): without it the store cannot tell a torn tail from lost acknowledged entries",
          StoreRefusedException.Recovery.WIPE_AND_REJOIN);
    }
  }
}

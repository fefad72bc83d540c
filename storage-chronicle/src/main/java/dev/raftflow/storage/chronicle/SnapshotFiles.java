package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.spi.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Snapshot files {@code snapshot-<seq>.snap}: {@code magic i32 | seq i64 | index i64 | term i64 |
 * length i32 | data | crc32c i32}. Written to a {@code .tmp} file, fsynced, renamed atomically,
 * then the directory fsynced. A snapshot file only counts once the queue's SNAPSHOT record naming
 * its seq is durable; others are deleted on recovery.
 */
final class SnapshotFiles {
  private static final int MAGIC = 0x52465331; // "RFS1"
  private static final int HEADER = 4 + 8 + 8 + 8 + 4;
  private final Path dir;

  SnapshotFiles(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
  }

  Path file(long seq) {
    return dir.resolve(String.format("snapshot-%019d.snap", seq));
  }

  void write(long seq, Snapshot s) throws IOException {
    Path tmp = dir.resolve(file(seq).getFileName() + ".tmp");
    ByteBuffer head = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    head.putInt(MAGIC).putLong(seq).putLong(s.index()).putLong(s.term()).putInt(s.data().length).flip();
    CRC32C crc = new CRC32C();
    crc.update(head.duplicate());
    crc.update(s.data());
    ByteBuffer tail = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue()).flip();
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      ByteBuffer[] bufs = {head, ByteBuffer.wrap(s.data()), tail};
      long total = HEADER + s.data().length + 4L;
      long n = 0;
      while (n < total) {
        n += ch.write(bufs);
      }
      ch.force(true);
    }
    try {
      Files.move(tmp, file(seq), StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file(seq), StandardCopyOption.REPLACE_EXISTING);
    }
    syncDirectory(dir);
  }

  /** Reads and verifies snapshot {@code seq}. */
  Snapshot read(long seq) throws IOException {
    Path f = file(seq);
    if (!Files.exists(f)) {
      throw new IllegalStateException("snapshot file " + f + " is missing, but the log says snapshot " + seq
          + " was installed");
    }
    byte[] all = Files.readAllBytes(f);
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    if (all.length < HEADER + 4 || b.getInt(0) != MAGIC || b.getLong(4) != seq
        || b.getInt(28) != all.length - HEADER - 4) {
      throw new IllegalStateException("snapshot file " + f + " is damaged (bad header)");
    }
    CRC32C crc = new CRC32C();
    crc.update(all, 0, all.length - 4);
    if ((int) crc.getValue() != b.getInt(all.length - 4)) {
      throw new IllegalStateException("snapshot file " + f + " is damaged (checksum mismatch)");
    }
    byte[] data = new byte[all.length - HEADER - 4];
    System.arraycopy(all, HEADER, data, 0, data.length);
    return new Snapshot(b.getLong(12), b.getLong(20), data);
  }

  /** Deletes every snapshot file (and temp file) except {@code keepSeq}. */
  void deleteAllBut(long keepSeq) throws IOException {
    Path keep = file(keepSeq);
    List<Path> doomed = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "snapshot-*")) {
      for (Path p : ds) {
        if (!p.equals(keep)) {
          doomed.add(p);
        }
      }
    }
    for (Path p : doomed) {
      Files.deleteIfExists(p);
    }
  }

  /** Highest seq among snapshot files present (committed or not), 0 when none. */
  long maxSeq() throws IOException {
    long max = 0;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "snapshot-*.snap")) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        try {
          max = Math.max(max, Long.parseLong(n.substring(9, n.length() - 5)));
        } catch (NumberFormatException ignored) {
          // not ours
        }
      }
    }
    return max;
  }

  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some platforms cannot open a directory; nothing more can be done there.
      if (!System.getProperty("os.name", "").toLowerCase().contains("win")) {
        throw e;
      }
    }
  }
}

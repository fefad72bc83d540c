package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.spi.Snapshot;
import java.io.IOException;
import java.nio.BufferUnderflowException;
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
 * Snapshot files {@code snapshot-<seq>.snap}, little-endian, in one of two formats:
 *
 * <pre>
 * RFS2  magic i32 | seq i64 | index i64 | term i64 | membershipLength i32 | membership
 *       | length i32 | data | crc32c i32
 * RFS1  magic i32 | seq i64 | index i64 | term i64 | length i32 | data | crc32c i32
 * </pre>
 *
 * RFS2 is written: {@code membership} is {@link Membership#encode()} of the snapshot's membership,
 * or nothing (length 0) when it has none. RFS1, written before memberships were kept, is still
 * read, with a null membership. The CRC32C covers every byte before it. A file is written to a
 * {@code .tmp} file, fsynced, renamed atomically, then the directory fsynced. A snapshot file only
 * counts once the queue's SNAPSHOT record naming its seq is durable; others are deleted on recovery.
 */
final class SnapshotFiles {
  private static final int MAGIC = 0x52465332; // "RFS2"
  private static final int MAGIC_V1 = 0x52465331; // "RFS1": no membership
  /** Bytes of magic, seq, index and term. */
  private static final int FIXED = 4 + 8 + 8 + 8;
  private final Path dir;

  SnapshotFiles(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
  }

  Path file(long seq) {
    return dir.resolve(String.format("snapshot-%019d.snap", seq));
  }

  void write(long seq, Snapshot s) throws IOException {
    Path tmp = dir.resolve(file(seq).getFileName() + ".tmp");
    byte[] m = s.membership() == null ? new byte[0] : s.membership().encode();
    ByteBuffer head = ByteBuffer.allocate(FIXED + 4 + m.length + 4).order(ByteOrder.LITTLE_ENDIAN);
    head.putInt(MAGIC).putLong(seq).putLong(s.index()).putLong(s.term()).putInt(m.length).put(m)
        .putInt(s.data().length).flip();
    CRC32C crc = new CRC32C();
    crc.update(head.duplicate());
    crc.update(s.data());
    ByteBuffer tail = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue()).flip();
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      ByteBuffer[] bufs = {head, ByteBuffer.wrap(s.data()), tail};
      long total = head.remaining() + s.data().length + 4L;
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

  /** Reads and verifies snapshot {@code seq}, in either format. */
  Snapshot read(long seq) throws IOException {
    Path f = file(seq);
    if (!Files.exists(f)) {
      throw new StoreRefusedException(dir.getParent(), f, "the snapshot file is missing, but the log says snapshot "
          + seq + " was installed", StoreRefusedException.Recovery.WIPE_AND_REJOIN);
    }
    byte[] all = Files.readAllBytes(f);
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    long index;
    long term;
    byte[] m;
    byte[] data;
    try {
      int magic = b.getInt();
      if ((magic != MAGIC && magic != MAGIC_V1) || b.getLong() != seq) {
        throw damaged(f, "bad header");
      }
      index = b.getLong();
      term = b.getLong();
      m = magic == MAGIC ? lengthPrefixed(b, f) : new byte[0];
      data = lengthPrefixed(b, f);
      if (b.remaining() != 4) {
        throw damaged(f, "bad header");
      }
    } catch (BufferUnderflowException e) {
      throw damaged(f, "bad header");
    }
    CRC32C crc = new CRC32C();
    crc.update(all, 0, all.length - 4);
    if ((int) crc.getValue() != b.getInt(all.length - 4)) {
      throw damaged(f, "checksum mismatch");
    }
    Membership membership = null;
    if (m.length > 0) {
      try {
        membership = Membership.decode(m);
      } catch (IllegalArgumentException e) {
        throw damaged(f, "bad membership: " + e.getMessage());
      }
    }
    return new Snapshot(index, term, membership, data);
  }

  /** Reads a {@code length i32 | bytes} field, refusing a length the file cannot hold. */
  private static byte[] lengthPrefixed(ByteBuffer b, Path f) {
    int len = b.getInt();
    if (len < 0 || len > b.remaining()) {
      throw damaged(f, "bad header");
    }
    byte[] out = new byte[len];
    b.get(out);
    return out;
  }

  private static StoreRefusedException damaged(Path f, String why) {
    return new StoreRefusedException(f.getParent().getParent(), f, "the snapshot file is damaged (" + why + ")",
        StoreRefusedException.Recovery.WIPE_AND_REJOIN);
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

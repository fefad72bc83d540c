package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.spi.Snapshot;
import dev.raftflow.engine.spi.SnapshotStaging;
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
 * Snapshot files {@code snapshot-<seq>.snap}, little-endian, in one of three formats:
 *
 * <pre>
 * RFS3  data | membership | magic i32 | seq i64 | index i64 | term i64 | membershipLength i32
 *       | length i64 | dataCrc32c i32 | crc32c i32
 * RFS2  magic i32 | seq i64 | index i64 | term i64 | membershipLength i32 | membership
 *       | length i32 | data | crc32c i32
 * RFS1  magic i32 | seq i64 | index i64 | term i64 | length i32 | data | crc32c i32
 * </pre>
 *
 * RFS3 is written for a snapshot staged in this directory (a {@link SnapshotFileSink}: the
 * service's streamed snapshot, or the chunks a follower received) and for one over 2 GiB: the data
 * comes first, so a staged file becomes a snapshot file by appending the trailer and renaming,
 * without copying; its length is an i64. RFS2 is written for the others (an array given by the
 * service, held in memory), as before. {@code dataCrc32c} covers the data, {@code crc32c} the membership
 * and the trailer before it. {@code membership} is {@link Membership#encode()} of the snapshot's
 * membership, or nothing when it has none. In RFS2 and RFS1 (before memberships were kept, still
 * read: null membership) the CRC32C covers every byte before it. A file is written to a
 * {@code .tmp} (or staged) file, fsynced, renamed atomically, then the directory fsynced. A
 * snapshot file only counts once the queue's SNAPSHOT record naming its seq is durable; others are
 * deleted on recovery. Snapshots are read back by position from the file (never whole into memory).
 */
final class SnapshotFiles {
  private static final int MAGIC_V3 = 0x52465333; // "RFS3": data first, trailer last
  private static final int MAGIC = 0x52465332; // "RFS2"
  private static final int MAGIC_V1 = 0x52465331; // "RFS1": no membership
  /** Bytes of magic, seq, index and term. */
  private static final int FIXED = 4 + 8 + 8 + 8;
  /** Bytes of an RFS3 trailer after the membership. */
  private static final int TRAILER = FIXED + 4 + 8 + 4 + 4;
  private static final int COPY_BYTES = 1 << 20;
  private final Path dir;

  /** Opens the directory, deleting what was staged in it before (a transfer or a snapshot cut short). */
  SnapshotFiles(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, SnapshotFileSink.PREFIX + "*")) {
      for (Path p : ds) {
        Files.deleteIfExists(p);
      }
    }
  }

  Path file(long seq) {
    return dir.resolve(String.format("snapshot-%019d.snap", seq));
  }

  /** Where snapshots are staged before they are stored: files in this directory. */
  SnapshotStaging staging() {
    return expectedBytes -> new SnapshotFileSink(dir);
  }

  void write(long seq, Snapshot s) throws IOException {
    SnapshotFileData staged = s.content() instanceof SnapshotFileData f ? f : null;
    Path claimed = staged == null ? null : staged.claimStaged(dir);
    if (claimed != null) {
      // staged here: the data is in place, add the trailer and rename it
      FileChannel ch = staged.channel();
      writeFully(ch, trailer(seq, s, staged.crc()), s.size());
      ch.force(true);
      moveAtomically(claimed, file(seq));
    } else {
      Path tmp = dir.resolve(file(seq).getFileName() + ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE)) {
        if (s.size() <= Integer.MAX_VALUE) {
          writeV2(ch, seq, s);
        } else {
          int dataCrc = copy(s, ch, 0, new CRC32C());
          writeFully(ch, trailer(seq, s, dataCrc), s.size());
        }
        ch.force(true);
      }
      moveAtomically(tmp, file(seq));
    }
    syncDirectory(dir);
  }

  /** Writes {@code s} as RFS2 (the format of snapshots under 2 GiB not staged here). */
  private static void writeV2(FileChannel ch, long seq, Snapshot s) throws IOException {
    byte[] m = s.membership() == null ? new byte[0] : s.membership().encode();
    ByteBuffer head = ByteBuffer.allocate(FIXED + 4 + m.length + 4).order(ByteOrder.LITTLE_ENDIAN);
    head.putInt(MAGIC).putLong(seq).putLong(s.index()).putLong(s.term()).putInt(m.length).put(m)
        .putInt((int) s.size()).flip();
    CRC32C crc = new CRC32C();
    crc.update(head.duplicate());
    int at = head.remaining();
    writeFully(ch, head, 0);
    copy(s, ch, at, crc);
    ByteBuffer tail = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue()).flip();
    writeFully(ch, tail, at + s.size());
  }

  /** Copies the snapshot's data to {@code ch} from {@code position}, a block at a time, adding it to {@code crc}. */
  private static int copy(Snapshot s, FileChannel ch, long position, CRC32C crc) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(COPY_BYTES, Math.max(1, s.size())));
    for (long at = 0; at < s.size(); ) {
      buf.clear();
      int n = s.content().read(at, buf);
      buf.flip();
      crc.update(buf.duplicate());
      writeFully(ch, buf, position + at);
      at += n;
    }
    return (int) crc.getValue();
  }

  private static ByteBuffer trailer(long seq, Snapshot s, int dataCrc) {
    byte[] m = s.membership() == null ? new byte[0] : s.membership().encode();
    ByteBuffer t = ByteBuffer.allocate(m.length + TRAILER).order(ByteOrder.LITTLE_ENDIAN);
    t.put(m).putInt(MAGIC_V3).putLong(seq).putLong(s.index()).putLong(s.term()).putInt(m.length).putLong(s.size())
        .putInt(dataCrc);
    CRC32C crc = new CRC32C();
    crc.update(t.array(), 0, t.position());
    return t.putInt((int) crc.getValue()).flip();
  }

  private static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
    long at = position;
    while (b.hasRemaining()) {
      at += ch.write(b, at);
    }
  }

  private static void moveAtomically(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Reads and verifies snapshot {@code seq}, in any format; its data stays in the file. */
  Snapshot read(long seq) throws IOException {
    Path f = file(seq);
    if (!Files.exists(f)) {
      throw new StoreRefusedException(dir.getParent(), f, "the snapshot file is missing, but the log says snapshot "
          + seq + " was installed", StoreRefusedException.Recovery.WIPE_AND_REJOIN);
    }
    FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
    try {
      Snapshot s = readV3(ch, seq, f);
      return s != null ? s : readV2(ch, seq, f);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** An RFS3 file's snapshot, or null when the file does not end with a valid RFS3 trailer. */
  private Snapshot readV3(FileChannel ch, long seq, Path f) throws IOException {
    long size = ch.size();
    if (size < TRAILER) {
      return null;
    }
    ByteBuffer t = readAt(ch, size - TRAILER, TRAILER);
    int mlen = t.getInt(FIXED);
    long length = t.getLong(FIXED + 4);
    if (t.getInt(0) != MAGIC_V3 || mlen < 0 || length < 0 || length + mlen + TRAILER != size) {
      return null;
    }
    ByteBuffer all = ByteBuffer.allocate(mlen + TRAILER).order(ByteOrder.LITTLE_ENDIAN);
    all.put(readAt(ch, length, mlen)).put(t.rewind());
    CRC32C crc = new CRC32C();
    crc.update(all.array(), 0, all.capacity() - 4);
    if ((int) crc.getValue() != all.getInt(all.capacity() - 4)) {
      return null; // not an RFS3 trailer (an older file whose last bytes look like one)
    }
    if (t.getLong(4) != seq) {
      throw damaged(f, "bad header");
    }
    if (crcOf(ch, 0, length) != t.getInt(FIXED + 12)) {
      throw damaged(f, "checksum mismatch");
    }
    byte[] m = new byte[mlen];
    all.get(0, m);
    return new Snapshot(t.getLong(12), t.getLong(20), membership(m, f), SnapshotFileData.stored(ch, 0, length));
  }

  private Snapshot readV2(FileChannel ch, long seq, Path f) throws IOException {
    long size = ch.size();
    ByteBuffer b = readAt(ch, 0, (int) Math.min(size, FIXED + 4));
    if (b.remaining() < FIXED + 4) {
      throw damaged(f, "bad header");
    }
    int magic = b.getInt();
    if ((magic != MAGIC && magic != MAGIC_V1) || b.getLong() != seq) {
      throw damaged(f, "bad header");
    }
    long index = b.getLong();
    long term = b.getLong();
    long at = FIXED;
    byte[] m = new byte[0];
    if (magic == MAGIC) {
      int mlen = b.getInt();
      if (mlen < 0 || at + 4 + mlen + 4 > size) {
        throw damaged(f, "bad header");
      }
      m = new byte[mlen];
      readAt(ch, at + 4, mlen).get(m);
      at += 4 + mlen;
    }
    if (at + 4 > size) {
      throw damaged(f, "bad header");
    }
    int len = readAt(ch, at, 4).getInt();
    at += 4;
    if (len < 0 || at + len + 4 != size) {
      throw damaged(f, "bad header");
    }
    if (crcOf(ch, 0, size - 4) != readAt(ch, size - 4, 4).getInt()) {
      throw damaged(f, "checksum mismatch");
    }
    return new Snapshot(index, term, membership(m, f), SnapshotFileData.stored(ch, at, len));
  }

  private static Membership membership(byte[] m, Path f) {
    if (m.length == 0) {
      return null;
    }
    try {
      return Membership.decode(m);
    } catch (IllegalArgumentException e) {
      throw damaged(f, "bad membership: " + e.getMessage());
    }
  }

  private static ByteBuffer readAt(FileChannel ch, long position, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (ch.read(b, position + b.position()) < 0) {
        break;
      }
    }
    return b.flip();
  }

  /** CRC32C of {@code length} bytes from {@code position}, read a block at a time. */
  private static int crcOf(FileChannel ch, long position, long length) throws IOException {
    CRC32C crc = new CRC32C();
    ByteBuffer buf = ByteBuffer.allocateDirect(COPY_BYTES);
    for (long at = 0; at < length; ) {
      buf.clear().limit((int) Math.min(COPY_BYTES, length - at));
      int n = ch.read(buf, position + at);
      if (n < 0) {
        break;
      }
      buf.flip();
      crc.update(buf);
      at += n;
    }
    return (int) crc.getValue();
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

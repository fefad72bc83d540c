package dev.raftflow.storage.chronicle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * Cut points in the queue: "in cycle {@code c}, documents at queue index {@code >= from} are
 * void". Recovery appends one for the last cycle every time it opens the store, so that a torn or
 * corrupt tail left by a crash is skipped on every later replay, and writing resumes in a fresh
 * cycle. Records of 16 bytes ({@code cycle i32 | from i64 | crc32c i32}), appended and fsynced; a
 * torn last record is ignored.
 */
final class ResetFile implements AutoCloseable {
  private static final int REC = 16;
  private final FileChannel ch;
  private final TreeMap<Integer, Long> cuts = new TreeMap<>();
  private final CRC32C crc = new CRC32C();
  private long end;

  ResetFile(Path file) throws IOException {
    ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    long size = ch.size();
    ByteBuffer b = ByteBuffer.allocate(REC).order(ByteOrder.LITTLE_ENDIAN);
    for (long pos = 0; pos + REC <= size; pos += REC) {
      b.clear();
      ch.read(b, pos);
      b.flip();
      crc.reset();
      crc.update(b.duplicate().limit(12));
      if (b.getInt(12) != (int) crc.getValue()) {
        break;
      }
      cuts.merge(b.getInt(0), b.getLong(4), Math::min);
      end = pos + REC;
    }
  }

  /** The cut of {@code cycle}, or {@code null}. */
  Long cut(int cycle) {
    return cuts.get(cycle);
  }

  Map<Integer, Long> cuts() {
    return cuts;
  }

  /** Durably records a cut (no-op if an equal or earlier cut of that cycle exists). */
  void add(int cycle, long from) throws IOException {
    Long old = cuts.get(cycle);
    if (old != null && old <= from) {
      return;
    }
    ByteBuffer b = ByteBuffer.allocate(REC).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(cycle).putLong(from);
    crc.reset();
    crc.update(b.duplicate().flip());
    b.putInt((int) crc.getValue()).flip();
    ch.write(b, end);
    ch.force(false);
    end += REC;
    cuts.put(cycle, from);
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}

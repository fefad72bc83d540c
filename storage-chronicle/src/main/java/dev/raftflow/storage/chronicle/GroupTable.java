package dev.raftflow.storage.chronicle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The {@code groups} file of a {@link ChronicleHostLogStore}: which group id each group number in
 * the queue's records stands for. Appended records, each fsynced before it counts:
 *
 * <pre>
 * op u8 (1: add, 2: delete) | number i32 | idLength i32 | id UTF-8 | crc32c i32
 * </pre>
 *
 * A group is added (durably) before its first record is written, so a record naming a number the
 * table does not know is damaged. Numbers are never reused: the records of a deleted group stay
 * garbage until compaction drops their files. A torn last record is ignored.
 *
 * <p>Not thread-safe; the host store calls it under its own lock.
 */
final class GroupTable implements AutoCloseable {
  static final int MAX_ID_BYTES = 255;
  private static final byte ADD = 1;
  private static final byte DELETE = 2;

  private final FileChannel ch;
  private final Map<String, Integer> live = new LinkedHashMap<>();
  private final Map<Integer, String> deleted = new LinkedHashMap<>();
  private final CRC32C crc = new CRC32C();
  private int maxNumber;
  private long end;

  GroupTable(Path file) throws IOException {
    ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    long size = ch.size();
    ByteBuffer all = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    while (all.hasRemaining() && ch.read(all, all.position()) > 0) {
      // read it all
    }
    all.flip();
    while (all.remaining() >= 13) {
      int start = all.position();
      byte op = all.get();
      int number = all.getInt();
      int len = all.getInt();
      if (len < 0 || len > MAX_ID_BYTES || all.remaining() < len + 4) {
        break;
      }
      byte[] id = new byte[len];
      all.get(id);
      crc.reset();
      crc.update(all.array(), start, all.position() - start);
      if (all.getInt() != (int) crc.getValue() || (op != ADD && op != DELETE)) {
        break;
      }
      String g = new String(id, StandardCharsets.UTF_8);
      if (op == ADD) {
        live.put(g, number);
        deleted.remove(number);
      } else {
        live.remove(g);
        deleted.put(number, g);
      }
      maxNumber = Math.max(maxNumber, number);
      end = all.position();
    }
  }

  /** The live groups, id to number, in the order they were added. */
  Map<String, Integer> live() {
    return Collections.unmodifiableMap(live);
  }

  /** Whether {@code number} belonged to a group since deleted. */
  boolean isDeleted(int number) {
    return deleted.containsKey(number);
  }

  /** Durably adds group {@code id} under a new number, returned. */
  int add(String id) throws IOException {
    int number = maxNumber + 1;
    append(ADD, number, id);
    live.put(id, number);
    maxNumber = number;
    return number;
  }

  /** Durably records that group {@code id} (number {@code number}) is deleted. */
  void delete(String id, int number) throws IOException {
    append(DELETE, number, id);
    live.remove(id);
    deleted.put(number, id);
  }

  private void append(byte op, int number, String id) throws IOException {
    byte[] b = id.getBytes(StandardCharsets.UTF_8);
    ByteBuffer rec = ByteBuffer.allocate(13 + b.length).order(ByteOrder.LITTLE_ENDIAN);
    rec.put(op).putInt(number).putInt(b.length).put(b);
    crc.reset();
    crc.update(rec.array(), 0, rec.position());
    rec.putInt((int) crc.getValue()).flip();
    while (rec.hasRemaining()) {
      ch.write(rec, end + rec.position());
    }
    ch.force(false);
    end += rec.limit();
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}

package dev.raftflow.storage.chronicle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import net.openhft.chronicle.queue.RollCycle;

/**
 * The queue's cycle files as files: their names, which of them were written since the last sync
 * ({@link #syncDirty} fsyncs exactly those, and the queue directory when a file was created), the
 * zero-filled stretch kept ahead of the writes in the current one ({@link #preallocate}), and
 * their deletion.
 *
 * <p>Used by the thread that writes the queue (and by compaction under the queue's lock); not
 * thread-safe.
 */
final class CycleFiles implements AutoCloseable {
  private static final long PAGE = 4096;

  private final Path queueDir;
  private final RollCycle rollCycle;
  private final DateTimeFormatter cycleFormat;
  private final CycleClock clock;
  private final long preallocateBytes;
  private int[] dirtyCycles = new int[4]; // cycle files written since the last sync
  private int dirtyCount;
  private boolean newCycleFile;
  private int channelCycle = Integer.MIN_VALUE;
  private FileChannel cycleChannel;
  private int writeCycle = Integer.MIN_VALUE; // cycle of the last record appended
  private long writeEnd; // file offset of its end
  private long zeroedTo; // the current cycle file is written with zeros up to here
  private final ByteBuffer zeros = ByteBuffer.allocateDirect(64 << 10);

  CycleFiles(Path queueDir, RollCycle rollCycle, CycleClock clock, long preallocateBytes) {
    this.queueDir = queueDir;
    this.rollCycle = rollCycle;
    this.cycleFormat = DateTimeFormatter.ofPattern(rollCycle.format()).withZone(ZoneOffset.UTC);
    this.clock = clock;
    this.preallocateBytes = preallocateBytes;
  }

  /** The file of cycle {@code cycle}. */
  Path file(int cycle) {
    return queueDir.resolve(fileName(cycleFormat, rollCycle, cycle));
  }

  /** The name of the file of cycle {@code cycle} under {@code rollCycle} (names sort as cycles do). */
  static String fileName(RollCycle rollCycle, int cycle) {
    return fileName(DateTimeFormatter.ofPattern(rollCycle.format()).withZone(ZoneOffset.UTC), rollCycle, cycle);
  }

  private static String fileName(DateTimeFormatter format, RollCycle rollCycle, int cycle) {
    return format.format(Instant.ofEpochMilli((long) cycle * rollCycle.lengthInMillis())) + ".cq4";
  }

  /**
   * Notes a record appended to cycle {@code cycle}, ending at file offset {@code end}; {@code
   * created} when it is the first record of a cycle file (whose directory entry needs a sync).
   */
  void appended(int cycle, long end, boolean created) {
    if (created) {
      newCycleFile = true;
    }
    if (cycle != writeCycle) {
      writeCycle = cycle;
      zeroedTo = 0;
    }
    writeEnd = end;
    markDirty(cycle);
  }

  /** Notes that cycle file {@code cycle} was written (or gets an EOF marker) since the last sync. */
  void markDirty(int cycle) {
    for (int k = 0; k < dirtyCount; k++) {
      if (dirtyCycles[k] == cycle) {
        return;
      }
    }
    if (dirtyCount == dirtyCycles.length) {
      dirtyCycles = Arrays.copyOf(dirtyCycles, dirtyCount * 2);
    }
    dirtyCycles[dirtyCount++] = cycle;
  }

  /** fsyncs every cycle file written since the last sync (data, index and headers alike). */
  void syncDirty() throws IOException {
    for (int k = 0; k < dirtyCount; k++) {
      int c = dirtyCycles[k];
      FileChannel ch = channelFor(c);
      if (ch != null) {
        ch.force(false);
      } else {
        try (FileChannel other = FileChannel.open(file(c), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
          other.force(false);
        }
      }
    }
    dirtyCount = 0;
    if (newCycleFile) {
      SnapshotFiles.syncDirectory(queueDir);
      newCycleFile = false;
    }
  }

  /**
   * Keeps the current cycle file written with zeros (real blocks, not a sparse hole) a stretch
   * ahead of the write position, and synced, so that the fsync of a round only writes back the
   * pages the round dirtied: no block allocation on the durable path, hence no inode or journal
   * write beside the data (measured on ext4: a sparse file costs an extra metadata write in many
   * fsyncs). Runs after a round's futures completed. Zeros go only past the end of the last
   * record, where a Chronicle cycle file holds nothing but zeros; Chronicle later writes over
   * them through its mapping (the same page cache pages).
   */
  void preallocate() throws IOException {
    long ahead = preallocateBytes;
    if (writeCycle == Integer.MIN_VALUE || writeEnd + ahead - ahead / 4 <= zeroedTo) {
      return; // at least three quarters of the stretch is still ahead
    }
    FileChannel ch = channelFor(writeCycle);
    if (ch == null) {
      return;
    }
    // A quarter of the stretch per round at most, so no single round waits long for it.
    long from = Math.max(zeroedTo, (writeEnd + PAGE - 1) & -PAGE);
    long to = Math.min((writeEnd + ahead) & -PAGE, from + Math.max(PAGE, (ahead / 4) & -PAGE));
    if (to <= from) {
      return;
    }
    for (long pos = from; pos < to; ) {
      zeros.clear().limit((int) Math.min(zeros.capacity(), to - pos));
      pos += ch.write(zeros, pos);
    }
    ch.force(false);
    zeroedTo = to;
  }

  /** The open channel of the current cycle file (opened on first use), or null for another cycle. */
  private FileChannel channelFor(int c) throws IOException {
    if (c == channelCycle) {
      return cycleChannel;
    }
    if (c != clock.cycle()) {
      return null;
    }
    if (cycleChannel != null) {
      cycleChannel.close();
    }
    cycleChannel = FileChannel.open(file(c), StandardOpenOption.READ, StandardOpenOption.WRITE);
    channelCycle = c;
    return cycleChannel;
  }

  /** Deletes the file of cycle {@code cycle} (closing this class's channel to it first). */
  void delete(int cycle) throws IOException {
    if (cycle == channelCycle) {
      cycleChannel.close();
      cycleChannel = null;
      channelCycle = Integer.MIN_VALUE;
    }
    Files.deleteIfExists(file(cycle));
  }

  @Override
  public void close() throws IOException {
    if (cycleChannel != null) {
      cycleChannel.close();
    }
  }
}

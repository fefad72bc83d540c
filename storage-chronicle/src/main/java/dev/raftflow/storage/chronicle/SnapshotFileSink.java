package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.SnapshotData;
import dev.raftflow.engine.spi.SnapshotSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * A snapshot written to a staged file {@code staged-<n>.part} of a store's snapshot directory, its
 * CRC32C computed as it goes. Not fsynced here: storing the snapshot does it. One thread at a time.
 */
final class SnapshotFileSink implements SnapshotSink {
  static final String PREFIX = "staged-";
  private static final AtomicLong COUNTER = new AtomicLong();

  private final Path file;
  private final FileChannel channel;
  private final CRC32C crc = new CRC32C();
  private long written;
  private boolean ended;

  SnapshotFileSink(Path dir) {
    this.file = dir.resolve(PREFIX + System.nanoTime() + "-" + COUNTER.incrementAndGet() + ".part");
    try {
      this.channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stage a snapshot in " + dir, e);
    }
  }

  @Override
  public void write(ByteBuffer src) throws IOException {
    if (ended) {
      throw new IllegalStateException("the snapshot was finished or aborted");
    }
    crc.update(src.duplicate());
    while (src.hasRemaining()) {
      written += channel.write(src, written);
    }
  }

  @Override
  public long written() {
    return written;
  }

  @Override
  public SnapshotData finish() {
    if (ended) {
      throw new IllegalStateException("the snapshot was finished or aborted");
    }
    ended = true;
    return SnapshotFileData.staged(channel, file, written, (int) crc.getValue());
  }

  @Override
  public void abort() {
    if (ended) {
      return;
    }
    ended = true;
    try {
      channel.close();
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // a leftover staged file is deleted when the store opens again
    }
  }
}

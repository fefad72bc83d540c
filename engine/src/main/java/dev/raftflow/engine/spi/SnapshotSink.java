package dev.raftflow.engine.spi;

import dev.raftflow.engine.SnapshotData;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * A snapshot being written, in order, from its first byte: by the service taking it, or by a
 * follower putting a leader's chunks together. {@link #finish()} turns it into {@link SnapshotData}
 * (not yet durable: the store makes it durable when a {@link LogWrite} carries it); {@link #abort()}
 * drops it. One thread at a time; either ends it, after which it takes nothing more.
 */
public interface SnapshotSink {

  /** Appends the bytes remaining in {@code src}. */
  void write(ByteBuffer src) throws IOException;

  /** How many bytes were written. */
  long written();

  /** The bytes written, as data to read back. */
  SnapshotData finish() throws IOException;

  /** Drops what was written. Idempotent; does nothing after {@link #finish()}. */
  void abort();

  /** An output stream writing to this sink; closing it does not finish the sink. */
  default OutputStream asOutputStream() {
    SnapshotSink sink = this;
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        sink.write(ByteBuffer.wrap(new byte[] {(byte) b}));
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        sink.write(ByteBuffer.wrap(b, off, len));
      }
    };
  }
}

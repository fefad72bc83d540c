package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.spi.LogWrite;
import java.util.concurrent.CompletableFuture;

/**
 * A write handed over by the event loop, waiting to be written: the write, whether its snapshot
 * keeps the entries after it (decided by {@link LogShape}), the future to complete once it is
 * durable, and, in a {@link ChronicleHostLogStore}, the group it belongs to (null in a {@link
 * ChronicleLogStore}). {@link #CLOSE} (no write) tells the writer thread to finish.
 */
record PendingWrite(LogWrite write, boolean keep, CompletableFuture<Void> future, GroupLog group) {

  static final PendingWrite CLOSE = new PendingWrite(null, false, null, null);

  /** A write of a single-group store. */
  PendingWrite(LogWrite write, boolean keep, CompletableFuture<Void> future) {
    this(write, keep, future, null);
  }
}

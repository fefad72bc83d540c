package dev.raftflow.engine.node;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.LogWrite;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * A node's log writes on their way to durability, in order: each Ready's write is handed to the
 * store at once (the next may follow before it is durable), and once a write is durable its
 * after-write messages are sent and the core is told. Loop thread only, except the store's
 * completion, which is handed back to the loop.
 */
final class WritePipeline {

  /** A write handed to the store and the messages that wait for it. */
  static final class PendingWrite {
    final long seq;
    final List<Message> afterWrite;
    final long startNanos;
    volatile boolean durable;
    volatile Throwable error;

    PendingWrite(long seq, List<Message> afterWrite) {
      this.seq = seq;
      this.afterWrite = afterWrite;
      this.startNanos = System.nanoTime();
    }

    void complete(CompletableFuture<Void> f) {
      try {
        f.join();
      } catch (RuntimeException e) {
        error = e;
      }
      durable = true;
    }
  }

  private final String nodeId;
  private final LogStore store;
  private final ArrayDeque<PendingWrite> pending = new ArrayDeque<>();
  private final NodeCounters counters;

  WritePipeline(String nodeId, LogStore store, NodeCounters counters) {
    this.nodeId = nodeId;
    this.store = store;
    this.counters = counters;
  }

  /**
   * Hands {@code w} to the store; once durable, {@code completeDurable} sends {@code afterWrite} and
   * reports it. A store that is durable on return is completed here; otherwise its completion is
   * passed to {@code enqueue} for the loop.
   */
  void write(LogWrite w, List<Message> afterWrite, Consumer<NodeEvent> enqueue, Consumer<Message> send,
      LongConsumer persisted) {
    PendingWrite pw = new PendingWrite(w.seq(), afterWrite);
    pending.addLast(pw);
    List<LogEntry> entries = w.entries();
    long bytes = 0;
    for (int i = 0; i < entries.size(); i++) {
      bytes += entries.get(i).data().length;
    }
    counters.writeStarted(entries.size(), bytes);
    CompletableFuture<Void> f = store.write(w);
    if (f.isDone()) {
      pw.complete(f);
      completeDurable(send, persisted);
    } else {
      f.whenComplete((v, err) -> {
        pw.complete(f);
        enqueue.accept(new NodeEvent.WriteDone(pw));
      });
    }
  }

  /** Handles, in order, every write at the head of the queue that is now durable. */
  void completeDurable(Consumer<Message> send, LongConsumer persisted) {
    PendingWrite pw;
    while ((pw = pending.peekFirst()) != null && pw.durable) {
      pending.pollFirst();
      if (pw.error != null) {
        throw new IllegalStateException("log store write failed on node " + nodeId, pw.error);
      }
      for (Message m : pw.afterWrite) {
        send.accept(m);
      }
      counters.writeDone(System.nanoTime() - pw.startNanos);
      persisted.accept(pw.seq);
    }
  }

  /** Writes handed to the store and not yet handled as durable. */
  int size() {
    return pending.size();
  }
}

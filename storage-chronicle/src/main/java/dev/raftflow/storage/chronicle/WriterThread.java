package dev.raftflow.storage.chronicle;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The store's I/O thread: takes the writes handed over, drains every one that is waiting into a
 * round and has its {@link Rounds} ({@link RoundWriter}, {@link HostRoundWriter}) write it (group commit). Between rounds it syncs the ack
 * file once it has been dirty for the ack sync interval. {@link PendingWrite#CLOSE} ends it after
 * a final, synced round.
 *
 * <p>On a failure it reports it, fails the futures of the round and of every write waiting, and
 * stops. {@link #submit} may be called from any thread.
 */
final class WriterThread {

  /** Writes one round of writes durably and completes their futures (see {@link RoundWriter#write}). */
  interface Rounds {
    void write(List<PendingWrite> round, boolean forceSync, boolean syncAck) throws IOException;
  }

  private final LinkedBlockingQueue<PendingWrite> pending = new LinkedBlockingQueue<>();
  private final Rounds writer;
  private final AckFile ack;
  private final long ackSyncIntervalMillis;
  private final Consumer<Throwable> onFailure;
  private final Thread thread;

  WriterThread(String name, Rounds writer, AckFile ack, long ackSyncIntervalMillis, Consumer<Throwable> onFailure) {
    this.writer = writer;
    this.ack = ack;
    this.ackSyncIntervalMillis = ackSyncIntervalMillis;
    this.onFailure = onFailure;
    this.thread = new Thread(this::run, name);
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Hands a write over to the thread. */
  void submit(PendingWrite w) {
    pending.add(w);
  }

  /** Completes every write still waiting exceptionally with {@code t}. */
  void failPending(Throwable t) {
    for (PendingWrite x; (x = pending.poll()) != null; ) {
      if (x.future() != null) {
        x.future().completeExceptionally(t);
      }
    }
  }

  /** Asks the thread to write what was handed over and stop, and waits until it has. */
  void closeAndJoin() {
    pending.add(PendingWrite.CLOSE);
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    List<PendingWrite> round = new ArrayList<>();
    long lastAckSync = System.nanoTime();
    try {
      boolean closing = false;
      while (!closing) {
        PendingWrite b = ack.dirty()
            ? pending.poll(Math.max(1, ackSyncIntervalMillis), TimeUnit.MILLISECONDS)
            : pending.take();
        if (b == null) {
          ack.sync();
          lastAckSync = System.nanoTime();
          continue;
        }
        round.clear();
        round.add(b);
        pending.drainTo(round, 4096);
        for (int k = round.size() - 1; k >= 0 && !closing; k--) {
          closing = round.get(k) == PendingWrite.CLOSE;
        }
        boolean syncAck = closing
            || System.nanoTime() - lastAckSync > TimeUnit.MILLISECONDS.toNanos(ackSyncIntervalMillis);
        writer.write(round, closing, syncAck);
        if (syncAck) {
          lastAckSync = System.nanoTime();
        }
      }
    } catch (Throwable t) {
      onFailure.accept(t);
      for (PendingWrite x : round) {
        if (x.future() != null) {
          x.future().completeExceptionally(t);
        }
      }
      failPending(t);
    }
  }
}

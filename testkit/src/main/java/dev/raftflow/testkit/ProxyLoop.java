package dev.raftflow.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One NIO selector thread shared by many {@link LinkProxy}s: every socket of every proxy is
 * non-blocking and handled on this thread, and so is every change a proxy makes (cut, heal, close),
 * so proxies need no locks. {@link #call} runs a task on the loop and waits for it; a task that
 * throws fails only that call. {@link #close()} stops the thread and closes the selector (and with
 * it every channel still registered).
 */
public final class ProxyLoop implements AutoCloseable {

  /** What a registered channel's key is attached to: told which of its operations are ready. */
  interface Handler {
    void ready(SelectionKey key) throws IOException;

    /** The handler's channel failed; close what belongs to it. */
    void failed(IOException e);
  }

  private final Selector selector;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final Thread thread;
  private volatile boolean running = true;

  /** Starts the loop's thread (a daemon named {@code link-proxies}). */
  public ProxyLoop() {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector", e);
    }
    thread = new Thread(this::loop, "link-proxies");
    thread.setDaemon(true);
    thread.start();
  }

  Selector selector() {
    return selector;
  }

  boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** Runs {@code task} on the loop thread and returns its result (at most 10 s of waiting). */
  public <T> T call(Supplier<T> task) {
    if (inLoop()) {
      return task.get();
    }
    CompletableFuture<T> done = new CompletableFuture<>();
    tasks.add(() -> {
      try {
        done.complete(task.get());
      } catch (RuntimeException e) {
        done.completeExceptionally(e);
      }
    });
    selector.wakeup();
    try {
      return done.get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the proxy loop", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("the proxy loop did not answer within 10 s", e);
    }
  }

  private void loop() {
    while (running) {
      try {
        selector.select(500);
      } catch (IOException e) {
        break;
      }
      for (SelectionKey key : selector.selectedKeys()) {
        Handler h = (Handler) key.attachment();
        try {
          if (key.isValid()) {
            h.ready(key);
          }
        } catch (IOException e) {
          h.failed(e);
        } catch (java.nio.channels.CancelledKeyException e) {
          // closed by an earlier handler in this round
        }
      }
      selector.selectedKeys().clear();
      for (Runnable t; (t = tasks.poll()) != null; ) {
        t.run();
      }
    }
    try {
      for (SelectionKey k : selector.keys()) {
        k.channel().close();
      }
      selector.close();
    } catch (IOException | java.nio.channels.ClosedSelectorException e) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    running = false;
    selector.wakeup();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

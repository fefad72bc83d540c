package dev.raftflow.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/**
 * A {@code node} or {@code client} command run through picocli in this JVM, on its own thread,
 * with its output and error streams captured.
 */
final class InProcessCommand implements AutoCloseable {

  private final Object command;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private final CompletableFuture<Integer> exit = new CompletableFuture<>();

  private InProcessCommand(Object command) {
    this.command = command;
  }

  /** Starts {@code command} with {@code args} on a new thread. */
  static InProcessCommand start(Object command, String... args) {
    InProcessCommand c = new InProcessCommand(command);
    CommandLine cl = new CommandLine(command);
    cl.setOut(new PrintWriter(c.out, true));
    cl.setErr(new PrintWriter(c.err, true));
    Thread t = new Thread(() -> {
      try {
        c.exit.complete(cl.execute(args));
      } catch (Throwable e) {
        c.exit.completeExceptionally(e);
      }
    }, "command-" + command.getClass().getSimpleName());
    t.setDaemon(true);
    t.start();
    return c;
  }

  /** Runs {@code command} to its end (at most 60 s) and returns it. */
  static InProcessCommand run(Object command, String... args) throws Exception {
    InProcessCommand c = start(command, args);
    c.exit.get(60, TimeUnit.SECONDS);
    return c;
  }

  int exitCode() throws Exception {
    return exit.get(60, TimeUnit.SECONDS);
  }

  boolean ended() {
    return exit.isDone();
  }

  String out() {
    return out.toString();
  }

  String err() {
    return err.toString();
  }

  /** Waits (at most 30 s) until the output holds a line matching {@code regex}; returns that line. */
  String awaitLine(String regex) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      for (String line : out().split("\\R")) {
        if (line.matches(regex)) {
          return line;
        }
      }
      if (exit.isDone()) {
        throw new AssertionError("ended (" + exit.join() + ") without a line matching " + regex + "; out: " + out()
            + " err: " + err());
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no line matching " + regex + " in: " + out() + " err: " + err());
  }

  /** Stops a running {@code node}. */
  @Override
  public void close() throws Exception {
    if (command instanceof NodeCommand n) {
      n.stop();
    }
  }
}

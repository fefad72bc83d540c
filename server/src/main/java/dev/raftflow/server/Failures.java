package dev.raftflow.server;

import java.io.PrintWriter;

/**
 * How {@code node} and {@code client} report a failure: one line on the error stream, naming what
 * went wrong, and the stack trace only when asked ({@code --verbose}). Stateless.
 */
final class Failures {

  /** The exit code of a command whose input was fine but whose work failed (nothing answered, refused). */
  static final int FAILED = 1;

  private Failures() {}

  /** Prints {@code e} to {@code err} and returns the exit code for it. */
  static int report(PrintWriter err, String command, Throwable e, boolean verbose) {
    boolean usage = e instanceof UsageException;
    err.println(command + ": " + (usage ? "" : "failed: ") + describe(e));
    if (verbose) {
      e.printStackTrace(err);
    } else if (!usage) {
      err.println("(run with --verbose for the stack trace)");
    }
    err.flush();
    return usage ? UsageException.EXIT_CODE : FAILED;
  }

  /** The message of {@code e}, or of its innermost cause that has one, else its type. */
  static String describe(Throwable e) {
    Throwable t = e;
    while (t.getMessage() == null && t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }
}

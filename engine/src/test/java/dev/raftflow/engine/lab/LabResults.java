package dev.raftflow.engine.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * Appends one line per lab scenario to {@code target/lab-results.txt} of the module under test
 * (Maven's {@code basedir}), so runs over many seeds can be quoted and compared.
 */
public final class LabResults {

  private LabResults() {}

  /** The "Passed" line's figures of one scenario, plus the seed and the real time it took. */
  public record Figures(String test, long seed, double virtualSeconds, int peers, long rpcs, long bytes,
      long agreements, long realMillis) {

    public String passedLine() {
      return String.format(Locale.ROOT, "  ... Passed --  %4.1f  %d %4d %7d %4d", virtualSeconds, peers, rpcs, bytes,
          agreements);
    }

    String record() {
      return String.format(Locale.ROOT, "PASS %-44s seed=%-20d virtual=%6.1fs peers=%d rpcs=%6d bytes=%9d agreements=%5d real=%5dms",
          test, seed, virtualSeconds, peers, rpcs, bytes, agreements, realMillis);
    }
  }

  public static void passed(Figures f) {
    append(f.record());
  }

  public static void failed(String test, long seed, double virtualSeconds, String message) {
    String oneLine = String.valueOf(message).replace('\n', ' ');
    if (oneLine.length() > 300) {
      oneLine = oneLine.substring(0, 300) + "...";
    }
    append(String.format(Locale.ROOT, "FAIL %-44s seed=%-20d virtual=%6.1fs %s", test, seed, virtualSeconds, oneLine));
  }

  private static synchronized void append(String line) {
    Path file = Path.of(System.getProperty("basedir", "."), "target", "lab-results.txt");
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, line + System.lineSeparator(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      System.err.println("cannot write " + file + ": " + e);
    }
  }
}

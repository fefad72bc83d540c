package dev.raftflow.bench;

/**
 * The exit codes of {@code raftflow.jar}'s commands, and their help text ({@code exitCodeList} of
 * each {@code @Command}). Picocli's own conventions: 2 for a command line it refused, 1 for a
 * failure while running.
 */
final class ExitCodes {

  static final int OK = 0;
  /** The command ran and failed: errors, nothing measured, an I/O or cluster failure. */
  static final int FAILED = 1;
  /** The command line was refused before anything started: unknown flag, bad or out-of-range value. */
  static final int USAGE = 2;

  static final String HEADING = "%nExit codes:%n";
  static final String OK_TEXT = "0:success";
  static final String USAGE_TEXT = "2:invalid command line (unknown flag, bad or out-of-range value); nothing was started";
  static final String FAILED_TEXT = "1:the command failed while running (one line on stderr says why; --verbose adds the stack trace)";
  static final String RUN_FAILED_TEXT = "1:proposals failed during the measured seconds, nothing committed, or the run itself failed";
  static final String SWEEP_FAILED_TEXT = "1:a step committed nothing or saw failed proposals, or the sweep itself failed";
  static final String OVERLOAD_FAILED_TEXT = "1:nothing admitted, proposals failed other than by refusal, or the run itself failed";

  private ExitCodes() {}
}

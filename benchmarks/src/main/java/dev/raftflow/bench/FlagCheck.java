package dev.raftflow.bench;

import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Bounds checks on a command's flags, run before the command starts anything. A refusal is a
 * picocli {@link ParameterException}: exit code 2 and one line naming the flag, its bounds and the value.
 */
final class FlagCheck {

  private final Function<String, RuntimeException> refusal;

  /** Refuses with a {@link ParameterException} of {@code spec}'s command line. */
  FlagCheck(CommandSpec spec) {
    this(message -> new ParameterException(spec.commandLine(), message));
  }

  /** Refuses with the exception {@code refusal} makes of the message (outside a command line). */
  FlagCheck(Function<String, RuntimeException> refusal) {
    this.refusal = refusal;
  }

  /** Refuses {@code value} outside {@code [min, max]}; {@code why} (may be empty) explains the bound. */
  FlagCheck range(String flag, long value, long min, long max, String why) {
    if (value < min || value > max) {
      refuse(flag + " must be between " + min + " and " + max + (why.isEmpty() ? "" : " (" + why + ")") + ", was " + value);
    }
    return this;
  }

  /** Refuses a value that is not a finite number in {@code (above, max]}. */
  FlagCheck rangeAbove(String flag, double value, double above, double max, String why) {
    if (!(value > above && value <= max)) {
      refuse(flag + " must be above " + fmt(above) + " and at most " + fmt(max) + (why.isEmpty() ? "" : " (" + why + ")")
          + ", was " + fmt(value));
    }
    return this;
  }

  /** Refuses a value not among {@code allowed}. */
  FlagCheck oneOf(String flag, String value, String... allowed) {
    for (String a : allowed) {
      if (a.equals(value)) {
        return this;
      }
    }
    refuse(flag + " must be " + String.join(" or ", allowed) + ", was " + value);
    return this;
  }

  /** Refuses with {@code message} unless {@code ok}. */
  FlagCheck require(boolean ok, String message) {
    if (!ok) {
      refuse(message);
    }
    return this;
  }

  void refuse(String message) {
    throw refusal.apply(message);
  }

  private static String fmt(double v) {
    return v == Math.rint(v) && !Double.isInfinite(v) ? String.valueOf((long) v) : String.valueOf(v);
  }
}

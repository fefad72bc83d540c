package dev.raftflow.testkit;

import java.util.Objects;
import java.util.Optional;

/**
 * A key-value store with string values, as a {@link Model}: put, append, delete, compare-and-set and
 * get, each on one key (the partition). A missing key reads as null. Outputs: put, append and
 * delete answer nothing (null); cas answers {@code "true"} or {@code "false"}; get answers the value.
 */
public final class KvModel implements Model<String, KvModel.Input, String> {

  /** What an operation does. */
  public enum Kind { PUT, APPEND, DELETE, CAS, GET }

  /**
   * An operation's input: {@code value} is what put or append writes, or cas's new value; {@code
   * expected} is cas's expected current value (null: absent).
   */
  public record Input(Kind kind, String key, String value, String expected) {
    public static Input put(String key, String value) {
      return new Input(Kind.PUT, key, value, null);
    }

    public static Input append(String key, String value) {
      return new Input(Kind.APPEND, key, value, null);
    }

    public static Input delete(String key) {
      return new Input(Kind.DELETE, key, null, null);
    }

    public static Input cas(String key, String expected, String value) {
      return new Input(Kind.CAS, key, value, expected);
    }

    public static Input get(String key) {
      return new Input(Kind.GET, key, null, null);
    }
  }

  /** A missing key, as a state (states must not be null). */
  private static final String ABSENT = "\u0000absent";

  @Override
  public String init() {
    return ABSENT;
  }

  @Override
  public Optional<String> step(String state, Input in, String output) {
    String current = state.equals(ABSENT) ? null : state;
    return switch (in.kind()) {
      case CAS -> String.valueOf(Objects.equals(current, in.expected())).equals(output)
          ? Optional.of(apply(state, in)) : Optional.empty();
      case GET -> Objects.equals(output, current) ? Optional.of(state) : Optional.empty();
      default -> Optional.of(apply(state, in));
    };
  }

  @Override
  public String apply(String state, Input in) {
    String current = state.equals(ABSENT) ? null : state;
    return switch (in.kind()) {
      case PUT -> in.value();
      case APPEND -> (current == null ? "" : current) + in.value();
      case DELETE -> ABSENT;
      case CAS -> Objects.equals(current, in.expected()) ? in.value() : state;
      case GET -> state;
    };
  }

  @Override
  public Object partition(Input in) {
    return in.key();
  }
}

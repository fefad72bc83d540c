package dev.raftflow.examples.kv;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What {@code kv bench} measures. The read modes differ in where reads go and in how the members
 * were started: {@link #READ_INDEX} and {@link #LEASE} read at the leader (members without, resp.
 * with, {@code --lease-reads}), {@link #FOLLOWER} spreads the readers over every member (members
 * with {@code --follower-reads}); {@link #WRITE} does puts through exactly-once sessions.
 */
enum KvBenchMode {
  READ_INDEX("read-index"),
  LEASE("lease"),
  FOLLOWER("follower"),
  WRITE("write");

  private final String label;

  KvBenchMode(String label) {
    this.label = label;
  }

  /** The name on the command line and in the RESULT line. */
  String label() {
    return label;
  }

  boolean reads() {
    return this != WRITE;
  }

  /**
   * The mode named {@code text}.
   *
   * @throws IllegalArgumentException naming the accepted values when {@code text} is none of them
   */
  static KvBenchMode parse(String text) {
    for (KvBenchMode m : values()) {
      if (m.label.equals(text)) {
        return m;
      }
    }
    throw new IllegalArgumentException("--mode must be one of " + Arrays.stream(values()).map(KvBenchMode::label)
        .collect(Collectors.joining(", ")) + "; was '" + text + "'");
  }
}

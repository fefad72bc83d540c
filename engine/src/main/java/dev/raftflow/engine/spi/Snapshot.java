package dev.raftflow.engine.spi;

import dev.raftflow.engine.Membership;

/**
 * A snapshot of the service's state covering every log entry up to {@code index} (inclusive),
 * whose entry at {@code index} had term {@code term}, with the group's membership as of that entry.
 * The bytes are opaque to Raft and come back byte for byte. The array is owned by the snapshot once
 * created.
 *
 * @param membership the configuration in force at {@code index}; null when not recorded (a
 *     snapshot written before memberships were kept): the node's configured members then apply
 */
public record Snapshot(long index, long term, Membership membership, byte[] data) {

  /** A snapshot without a recorded membership. */
  public Snapshot(long index, long term, byte[] data) {
    this(index, term, null, data);
  }

  @Override
  public String toString() {
    return "Snapshot[" + index + "@" + term + " " + data.length + "B" + (membership == null ? "" : " " + membership) + "]";
  }
}

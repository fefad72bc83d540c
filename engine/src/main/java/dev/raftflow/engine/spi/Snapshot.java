package dev.raftflow.engine.spi;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.SnapshotData;
import java.util.Objects;

/**
 * A snapshot of the service's state covering every log entry up to {@code index} (inclusive),
 * whose entry at {@code index} had term {@code term}, with the group's membership as of that entry.
 * The bytes ({@code content}) are opaque to Raft and come back byte for byte; they may live in a
 * file ({@link SnapshotData}). An array given to a constructor is owned by the snapshot once created.
 *
 * @param membership the configuration in force at {@code index}; null when not recorded (a
 *     snapshot written before memberships were kept): the node's configured members then apply
 */
public record Snapshot(long index, long term, Membership membership, SnapshotData content) {

  public Snapshot {
    Objects.requireNonNull(content, "content");
  }

  /** A snapshot held in {@code data}. */
  public Snapshot(long index, long term, Membership membership, byte[] data) {
    this(index, term, membership, SnapshotData.of(data));
  }

  /** A snapshot without a recorded membership. */
  public Snapshot(long index, long term, byte[] data) {
    this(index, term, null, SnapshotData.of(data));
  }

  /**
   * The whole snapshot in one array (the convenience for small snapshots; no copy when it is held in
   * memory).
   *
   * @throws IllegalStateException when it is larger than an array can hold
   */
  public byte[] data() {
    return content.toBytes();
  }

  /** How many bytes the snapshot has. */
  public long size() {
    return content.size();
  }

  @Override
  public String toString() {
    return "Snapshot[" + index + "@" + term + " " + content.size() + "B" + (membership == null ? "" : " " + membership) + "]";
  }
}

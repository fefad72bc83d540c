package dev.raftflow.engine.spi;

/**
 * A snapshot of the service's state covering every log entry up to {@code index} (inclusive),
 * whose entry at {@code index} had term {@code term}. The bytes are opaque to Raft and come
 * back byte for byte. The array is owned by the snapshot once created.
 */
public record Snapshot(long index, long term, byte[] data) {
  @Override
  public String toString() {
    return "Snapshot[" + index + "@" + term + " " + data.length + "B]";
  }
}

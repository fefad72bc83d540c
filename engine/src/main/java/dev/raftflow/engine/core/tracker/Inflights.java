package dev.raftflow.engine.core.tracker;

/**
 * The AppendEntries sent to one follower and not yet acknowledged, oldest first: the last index each
 * carried and its payload bytes. Full when it holds {@code maxMessages} messages or at least {@code
 * maxBytes} bytes. Not thread-safe: owned by the follower's {@link Progress}.
 */
public final class Inflights {

  private final long[] lastIndexes;
  private final long[] sizes;
  private final long maxBytes;
  private int start;
  private int count;
  private long bytes;

  public Inflights(int maxMessages, long maxBytes) {
    if (maxMessages < 1 || maxBytes < 1) {
      throw new IllegalArgumentException("an in-flight window needs room for one message: " + maxMessages
          + " messages, " + maxBytes + " bytes");
    }
    this.lastIndexes = new long[maxMessages];
    this.sizes = new long[maxMessages];
    this.maxBytes = maxBytes;
  }

  public boolean full() {
    return count == lastIndexes.length || bytes >= maxBytes;
  }

  public int count() {
    return count;
  }

  public long bytes() {
    return bytes;
  }

  /** Records a message whose last entry is {@code lastIndex}; the window must not be full. */
  public void add(long lastIndex, long payloadBytes) {
    if (count == lastIndexes.length) {
      throw new IllegalStateException("in-flight window of " + lastIndexes.length + " messages is full");
    }
    int slot = (start + count) % lastIndexes.length;
    lastIndexes[slot] = lastIndex;
    sizes[slot] = payloadBytes;
    count++;
    bytes += payloadBytes;
  }

  /** Frees every message whose last index is at or below {@code index}. */
  public void freeTo(long index) {
    while (count > 0 && lastIndexes[start] <= index) {
      bytes -= sizes[start];
      start = (start + 1) % lastIndexes.length;
      count--;
    }
  }

  public void reset() {
    start = 0;
    count = 0;
    bytes = 0;
  }
}

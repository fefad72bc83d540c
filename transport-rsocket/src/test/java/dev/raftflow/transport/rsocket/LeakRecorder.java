package dev.raftflow.transport.rsocket;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;

/**
 * Netty's leak detector, installed through {@code -Dio.netty.customResourceLeakDetector}, that also
 * records every leak it reports, so that tests can fail on one ({@link #assertNoLeaks()}).
 */
public final class LeakRecorder<T> extends ResourceLeakDetector<T> {

  private static final List<String> LEAKS = new ArrayList<>();

  @SuppressWarnings("deprecation") // the signature Netty's factory may look up
  public LeakRecorder(Class<?> resourceType, int samplingInterval, long maxActive) {
    super(resourceType, samplingInterval, maxActive);
  }

  public LeakRecorder(Class<?> resourceType, int samplingInterval) {
    super(resourceType, samplingInterval);
  }

  @Override
  protected void reportTracedLeak(String resourceType, String records) {
    record("LEAK " + resourceType + records);
    super.reportTracedLeak(resourceType, records);
  }

  @Override
  protected void reportUntracedLeak(String resourceType) {
    record("LEAK " + resourceType + " (untraced)");
    super.reportUntracedLeak(resourceType);
  }

  private static synchronized void record(String s) {
    LEAKS.add(s);
  }

  static synchronized List<String> leaks() {
    return new ArrayList<>(LEAKS);
  }

  /** Whether this detector is the one Netty uses (the surefire argLine sets it). */
  static boolean installed() {
    try {
      java.lang.reflect.Field f = io.netty.buffer.AbstractByteBuf.class.getDeclaredField("leakDetector");
      f.setAccessible(true);
      return f.get(null) instanceof LeakRecorder && ResourceLeakDetector.getLevel() == Level.PARANOID;
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("cannot inspect Netty's leak detector", e);
    }
  }

  /**
   * Collects garbage and allocates tracked buffers (each allocation polls the detector's reference
   * queue) a few times, then fails if any leak was reported since the JVM started.
   */
  static void assertNoLeaks() {
    for (int i = 0; i < 6; i++) {
      System.gc();
      try {
        Thread.sleep(30); // lets the reference handler enqueue collected trackers
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      for (int j = 0; j < 64; j++) {
        ByteBufAllocator.DEFAULT.directBuffer(16).release();
        ByteBufAllocator.DEFAULT.heapBuffer(16).release();
        PooledByteBufAllocator.DEFAULT.directBuffer(16).release();
      }
    }
    List<String> leaks = leaks();
    if (!leaks.isEmpty()) {
      throw new AssertionError(leaks.size() + " Netty buffer leak(s):\n" + String.join("\n----\n", leaks));
    }
  }
}

package dev.raftflow.storage.chronicle;

import net.openhft.chronicle.core.time.TimeProvider;

/**
 * A logical clock for Chronicle Queue: the queue's roll cycle is derived from "time", so reporting
 * {@code cycle * cycleLength} lets the store roll to a new cycle file when it chooses (by size, at
 * a snapshot, at each open) instead of by wall-clock time.
 */
final class CycleClock implements TimeProvider {
  private final long cycleMillis;
  private volatile int cycle;

  CycleClock(long cycleMillis) {
    this.cycleMillis = cycleMillis;
  }

  int cycle() {
    return cycle;
  }

  void cycle(int cycle) {
    this.cycle = cycle;
  }

  @Override
  public long currentTimeMillis() {
    return cycle * cycleMillis;
  }

  @Override
  public long currentTimeMicros() {
    return currentTimeMillis() * 1000L;
  }

  @Override
  public long currentTimeNanos() {
    return currentTimeMillis() * 1_000_000L;
  }
}

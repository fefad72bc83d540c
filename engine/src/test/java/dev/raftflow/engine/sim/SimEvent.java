package dev.raftflow.engine.sim;

import reactor.core.Disposable;

/**
 * One action in a {@link Simulation}'s event queue. Events are ordered by virtual time, then by the
 * order they were scheduled in; a disposed event never runs.
 */
final class SimEvent implements Comparable<SimEvent>, Disposable {

  final long timeNanos;
  final long seq;
  final Runnable action;
  private volatile boolean disposed;

  SimEvent(long timeNanos, long seq, Runnable action) {
    this.timeNanos = timeNanos;
    this.seq = seq;
    this.action = action;
  }

  @Override
  public int compareTo(SimEvent o) {
    int c = Long.compare(timeNanos, o.timeNanos);
    return c != 0 ? c : Long.compare(seq, o.seq);
  }

  @Override
  public void dispose() {
    disposed = true;
  }

  @Override
  public boolean isDisposed() {
    return disposed;
  }
}

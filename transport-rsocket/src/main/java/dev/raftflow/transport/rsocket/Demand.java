package dev.raftflow.transport.rsocket;

import java.util.concurrent.atomic.AtomicLong;

/** Reactive Streams demand arithmetic on an {@link AtomicLong} (Long.MAX_VALUE = unbounded). */
final class Demand {
  private Demand() {}

  static void add(AtomicLong requested, long n) {
    for (;;) {
      long r = requested.get();
      if (r == Long.MAX_VALUE) {
        return;
      }
      long u = r + n;
      if (u < 0) {
        u = Long.MAX_VALUE;
      }
      if (requested.compareAndSet(r, u)) {
        return;
      }
    }
  }

  static void produced(AtomicLong requested, long n) {
    for (;;) {
      long r = requested.get();
      if (r == Long.MAX_VALUE) {
        return;
      }
      long u = Math.max(0, r - n);
      if (requested.compareAndSet(r, u)) {
        return;
      }
    }
  }
}

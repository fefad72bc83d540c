package dev.raftflow.engine.core;

/**
 * A leader handing its leadership to another voter (Raft thesis §3.10): the target, and the ticks
 * since the handover began. While it is under way the leader takes no proposals; it gives up after
 * an election timeout. Not thread-safe: owned by the core.
 */
final class LeadershipTransfer {

  private String target;
  private int elapsed;

  /** The member leadership is being handed to, or null. */
  String target() {
    return target;
  }

  boolean isActive() {
    return target != null;
  }

  void start(String target) {
    this.target = target;
    this.elapsed = 0;
  }

  /** Stops the handover (proposals are taken again). */
  void stop() {
    target = null;
  }

  /** One leader tick; the handover stops when the target did not take over within {@code timeoutTicks}. */
  void tick(int timeoutTicks) {
    if (target != null && ++elapsed >= timeoutTicks) {
      target = null; // the target did not take over in time: lead on
    }
  }
}

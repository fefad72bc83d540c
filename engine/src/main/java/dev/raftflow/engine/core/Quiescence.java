package dev.raftflow.engine.core;

import dev.raftflow.engine.message.Quiesce;

/**
 * Whether this member is quiet ({@link dev.raftflow.engine.RaftOptions#quiesce()}), and for a leader,
 * how long it has been idle. A quiet member's ticks do nothing. Not thread-safe: owned by the core.
 */
final class Quiescence {

  private final boolean enabled;
  private final int idleTicksBeforeQuiet;
  private boolean quiet;
  private int idleTicks;
  private long times;

  Quiescence(boolean enabled, int idleTicksBeforeQuiet) {
    this.enabled = enabled;
    this.idleTicksBeforeQuiet = idleTicksBeforeQuiet;
  }

  boolean quiet() {
    return quiet;
  }

  /** A leader's tick, {@code idle} or not: true when it has been idle long enough to go quiet now. */
  boolean leaderTicked(boolean idle) {
    if (!enabled) {
      return false;
    }
    idleTicks = idle ? idleTicks + 1 : 0;
    return idleTicks >= idleTicksBeforeQuiet;
  }

  /**
   * Whether a follower may go quiet when its leader asks: its log ends where the leader's does,
   * durably, all of it committed, and it waits for no read or write of its own.
   */
  boolean followerMayGoQuiet(Quiesce q, MemberLog log, boolean noReadWaits, DurabilityGate gate) {
    return enabled && noReadWaits && !gate.anyPending() && log.lastIndex() == q.lastIndex() && log.lastTerm() == q.lastTerm()
        && q.commit() == q.lastIndex() && log.durableIndex() == q.lastIndex();
  }

  void goQuiet() {
    quiet = true;
    idleTicks = 0;
    times++;
  }

  /** Wakes; returns whether it was quiet. */
  boolean wake() {
    if (!quiet) {
      return false; // a leader's calm is judged by its state at each tick, not by what it hears
    }
    quiet = false;
    idleTicks = 0;
    return true;
  }

  /** How many times this member went quiet. */
  long times() {
    return times;
  }
}

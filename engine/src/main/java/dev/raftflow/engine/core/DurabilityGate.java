package dev.raftflow.engine.core;

import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.spi.LogWrite;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The writes a core handed out and the driver has not yet reported durable, and the messages that
 * must wait for them. The one place where the rule "nothing leaves under a term or vote that is not
 * durable, and no answer leaves before the state it promises" is kept:
 *
 * <ul>
 *   <li>while a write carrying a term or vote is unacknowledged, every message of a later Ready waits
 *       (behind that Ready's own write, or, when it writes nothing, behind the latest write);
 *   <li>after-write messages of a Ready that writes nothing wait for the writes still pending.
 * </ul>
 *
 * Held messages are released, in order, into the first Ready after the write they wait for is
 * acknowledged. Not thread-safe: owned by the core.
 */
final class DurabilityGate {

  /** Election timeouts after which a write not reported durable is reported as stalled. */
  static final int STALL_TIMEOUTS = 10;

  /** A write handed out: what becomes durable with it. */
  record Pending(long seq, long lastIndex, long lastTerm, boolean hardState) {}

  private record Held(long untilSeq, List<Message> messages) {}

  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  private List<Message> released = new ArrayList<>();
  private long lastSeq;
  private int hardStatePending;
  private int ticksSinceAcknowledged;
  private boolean stallReported;

  /** Whether a write carrying a term or vote is not yet acknowledged. */
  boolean termOrVotePending() {
    return hardStatePending > 0;
  }

  boolean anyPending() {
    return !pending.isEmpty();
  }

  /** Numbers {@code w} and records it as pending. */
  LogWrite issue(LogWrite w) {
    LogWrite numbered = w.withSeq(++lastSeq);
    if (pending.isEmpty()) {
      ticksSinceAcknowledged = 0;
    }
    pending.addLast(new Pending(numbered.seq(), w.lastIndex(), w.lastTerm(), w.hardState() != null));
    if (w.hardState() != null) {
      hardStatePending++;
    }
    return numbered;
  }

  /** Holds {@code messages} until every write handed out so far is acknowledged. */
  void holdBehindPending(List<Message> messages) {
    held.addLast(new Held(lastSeq, messages));
  }

  /**
   * Acknowledges every write up to {@code seq}; returns them, oldest first. Releases the messages
   * waiting for them. An acknowledgement of a write already acknowledged changes nothing.
   *
   * @throws IllegalArgumentException when no write {@code seq} was handed out
   */
  List<Pending> acknowledge(long seq) {
    if (seq > lastSeq || seq < 1) {
      throw new IllegalArgumentException("persisted(" + seq + "): no such write was handed out (the latest is "
          + lastSeq + ")");
    }
    List<Pending> done = new ArrayList<>(1);
    Pending p;
    while ((p = pending.peekFirst()) != null && p.seq() <= seq) {
      pending.pollFirst();
      if (p.hardState()) {
        hardStatePending--;
      }
      done.add(p);
    }
    if (!done.isEmpty()) {
      ticksSinceAcknowledged = 0;
      stallReported = false;
    }
    Held h;
    while ((h = held.peekFirst()) != null && h.untilSeq() <= seq) {
      held.pollFirst();
      released.addAll(h.messages());
    }
    return done;
  }

  /** The messages released since the last call, in the order they were held. */
  List<Message> takeReleased() {
    if (released.isEmpty()) {
      return List.of();
    }
    List<Message> out = released;
    released = new ArrayList<>();
    return out;
  }

  /**
   * One tick: reports to {@code out}, once, a write pending for {@value #STALL_TIMEOUTS} election
   * timeouts of {@code electionTicks} ({@link Outcome.WriteStalled}).
   */
  void tick(int electionTicks, Outputs out) {
    long stalled = tick(STALL_TIMEOUTS * electionTicks);
    if (stalled > 0) {
      out.report(new Outcome.WriteStalled(stalled, STALL_TIMEOUTS * electionTicks));
    }
  }

  /**
   * One tick. Returns the oldest pending write's number once, when it has been waiting for {@code
   * limitTicks} (the store stalled, or the driver never calls persisted); else 0.
   */
  long tick(int limitTicks) {
    if (pending.isEmpty()) {
      return 0;
    }
    if (++ticksSinceAcknowledged >= limitTicks && !stallReported) {
      stallReported = true;
      return pending.peekFirst().seq();
    }
    return 0;
  }

  long lastSeq() {
    return lastSeq;
  }

  /** The seq of the oldest write not yet acknowledged, or 0. */
  long oldestPending() {
    Pending p = pending.peekFirst();
    return p == null ? 0 : p.seq();
  }
}

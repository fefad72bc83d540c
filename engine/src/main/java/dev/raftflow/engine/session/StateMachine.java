package dev.raftflow.engine.session;

/**
 * A service's replicated state, driven by {@link ExactlyOnceService}: commands in log order, each
 * answered with bytes that go back to whoever proposed it (and to every retry of it).
 *
 * <p>Called on one thread at a time (the node's loop thread), never concurrently; the calls must not
 * block. {@link #apply} must be deterministic (the same commands in the same order give the same
 * state and answers on every member) and should not throw: an exception is logged, the command's
 * answer becomes empty and its callers fail.
 */
public interface StateMachine {

  /**
   * Applies one command, committed at log {@code index}, and returns its answer (null counts as
   * empty). Called exactly once per command of a session, however often the command was retried.
   */
  byte[] apply(long index, byte[] command);

  /** The whole state, for a snapshot; {@link #restore} must rebuild it. */
  byte[] snapshot();

  /** Replaces the whole state with one taken by {@link #snapshot()} (possibly on another member). */
  void restore(byte[] data);
}

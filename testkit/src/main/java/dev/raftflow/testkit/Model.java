package dev.raftflow.testkit;

import java.util.Optional;

/**
 * The sequential specification a history is checked against: a state, and what one operation does
 * to it. States must implement {@code equals} and {@code hashCode} (the search remembers the
 * (operations done, state) pairs it has tried). {@link #partition} may split a history into
 * independent parts (one per key of a key-value store): a history is linearizable if and only if
 * each part is, and checking them apart is much faster.
 *
 * @param <S> state
 * @param <I> an operation's input
 * @param <O> an operation's output
 */
public interface Model<S, I, O> {

  /** The state before any operation. */
  S init();

  /**
   * An operation that returned {@code output} (which may be null, e.g. a read of a missing key):
   * the next state when {@code input} applied to {@code state} answers {@code output}, empty when
   * it does not.
   */
  Optional<S> step(S state, I input, O output);

  /** An operation whose outcome the client never learned, taking effect: the next state, whatever it answered. */
  S apply(S state, I input);

  /** A key that splits the history into independent parts; the same key for every input by default. */
  default Object partition(I input) {
    return "";
  }
}

package dev.raftflow.engine.message;

/**
 * The answer to an {@link AppendEntries}.
 *
 * @param success whether the log check passed and the entries are now durable on the sender
 * @param matchIndex on success, the last index known to match the leader's log
 * @param rejectedIndex on failure, the {@code prevLogIndex} of the rejected request
 * @param conflictTerm on failure, the term of the sender's entry at {@code rejectedIndex}, or 0
 *     when its log is too short to hold that index
 * @param conflictIndex on failure, the first index of {@code conflictTerm} in the sender's log, or
 *     its last index + 1 when {@code conflictTerm} is 0 (the fast backtracking hint)
 */
public record AppendResponse(
    long term,
    String from,
    String to,
    boolean success,
    long matchIndex,
    long rejectedIndex,
    long conflictTerm,
    long conflictIndex)
    implements Message {

  public static AppendResponse accepted(long term, String from, String to, long matchIndex) {
    return new AppendResponse(term, from, to, true, matchIndex, 0, 0, 0);
  }

  public static AppendResponse rejected(
      long term, String from, String to, long rejectedIndex, long conflictTerm, long conflictIndex) {
    return new AppendResponse(term, from, to, false, 0, rejectedIndex, conflictTerm, conflictIndex);
  }
}

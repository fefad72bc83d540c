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
 * @param readRound the {@link AppendEntries#readRound()} of the request answered
 */
public record AppendResponse(
    long term,
    String from,
    String to,
    boolean success,
    long matchIndex,
    long rejectedIndex,
    long conflictTerm,
    long conflictIndex,
    long readRound)
    implements Message {

  public static AppendResponse accepted(long term, String from, String to, long matchIndex) {
    return accepted(term, from, to, matchIndex, 0);
  }

  public static AppendResponse accepted(long term, String from, String to, long matchIndex, long readRound) {
    return new AppendResponse(term, from, to, true, matchIndex, 0, 0, 0, readRound);
  }

  public static AppendResponse rejected(
      long term, String from, String to, long rejectedIndex, long conflictTerm, long conflictIndex) {
    return rejected(term, from, to, rejectedIndex, conflictTerm, conflictIndex, 0);
  }

  public static AppendResponse rejected(long term, String from, String to, long rejectedIndex, long conflictTerm,
      long conflictIndex, long readRound) {
    return new AppendResponse(term, from, to, false, 0, rejectedIndex, conflictTerm, conflictIndex, readRound);
  }
}

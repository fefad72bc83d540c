package dev.raftflow.client;

/**
 * A member's word on who leads: a WATCH_LEADER item of the {@link ClientProtocol}.
 *
 * @param term the member's current term (not negative)
 * @param leaderId the leader of that term the member knows of, or {@code null} when none is known
 */
public record LeaderHint(long term, String leaderId) {

  public LeaderHint {
    if (term < 0) {
      throw new IllegalArgumentException("term must not be negative, was " + term);
    }
  }
}

package dev.raftflow.engine.core.tracker;

import dev.raftflow.engine.core.quorum.JointConfig;
import dev.raftflow.engine.core.quorum.VoteResult;
import java.util.HashMap;
import java.util.Map;

/** The answers to one round of (pre-)vote requests, counted against a {@link JointConfig}. */
public final class VoteTally {

  private final Map<String, Boolean> answers = new HashMap<>();

  public void clear() {
    answers.clear();
  }

  /** Records {@code voter}'s answer; a grant stands once given. */
  public void record(String voter, boolean granted) {
    if (granted) {
      answers.put(voter, true);
    } else {
      answers.putIfAbsent(voter, false);
    }
  }

  public VoteResult result(JointConfig voters) {
    return voters.voteResult(v -> Boolean.TRUE.equals(answers.get(v)), v -> Boolean.FALSE.equals(answers.get(v)));
  }
}

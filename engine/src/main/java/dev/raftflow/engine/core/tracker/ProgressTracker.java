package dev.raftflow.engine.core.tracker;

import dev.raftflow.engine.core.quorum.JointConfig;
import dev.raftflow.engine.core.quorum.MajorityConfig;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A leader's followers: the voters deciding ({@link JointConfig}) paired with one {@link Progress}
 * per member to replicate to, and the quorum questions asked of them: the committed index, whether a
 * quorum answered lately (CheckQuorum), whether a quorum answered a read round (ReadIndex). The
 * leader itself counts with its own durable index and is always heard from. Not thread-safe: owned
 * by the leader.
 */
public final class ProgressTracker {

  private final String self;
  private final int maxInflightMessages;
  private final long maxInflightBytes;
  private final Map<String, Progress> progress = new LinkedHashMap<>();
  private JointConfig voters = JointConfig.of(Set.of(), Set.of());
  /** Each half's voters' progress, aligned with the half's voter order; null where the voter is this leader. */
  private Progress[] incoming = new Progress[0];
  private Progress[] outgoing = new Progress[0];
  private long[] incomingScratch = new long[0];
  private long[] outgoingScratch = new long[0];

  public ProgressTracker(String self, int maxInflightMessages, long maxInflightBytes) {
    this.self = self;
    this.maxInflightMessages = maxInflightMessages;
    this.maxInflightBytes = maxInflightBytes;
  }

  /** Forgets every follower (leadership lost or not yet won). */
  public void clear() {
    progress.clear();
    voters = JointConfig.of(Set.of(), Set.of());
    incoming = new Progress[0];
    outgoing = new Progress[0];
  }

  /**
   * Tracks exactly {@code members} other than this leader (new ones start probing at {@code
   * nextIndex}, known ones keep their progress) and lets {@code voters} decide. The iteration order
   * of {@code members} is the order followers are visited in.
   */
  public void sync(JointConfig voters, Set<String> members, long nextIndex) {
    progress.keySet().removeIf(p -> !members.contains(p));
    for (String p : members) {
      if (!p.equals(self) && !progress.containsKey(p)) {
        progress.put(p, new Progress(p, nextIndex, maxInflightMessages, maxInflightBytes));
      }
    }
    this.voters = voters;
    incoming = aligned(voters.incoming());
    outgoing = aligned(voters.outgoing());
    incomingScratch = new long[incoming.length];
    outgoingScratch = new long[outgoing.length];
  }

  private Progress[] aligned(MajorityConfig half) {
    Progress[] out = new Progress[half.size()];
    for (int i = 0; i < out.length; i++) {
      String v = half.voter(i);
      out[i] = v.equals(self) ? null : progress.get(v);
      if (out[i] == null && !v.equals(self)) {
        throw new IllegalStateException("voter " + v + " is not among the members tracked: " + progress.keySet());
      }
    }
    return out;
  }

  /** The follower {@code id}'s progress, or null when it is not tracked. */
  public Progress get(String id) {
    return progress.get(id);
  }

  /** Every tracked follower, in a stable order. */
  public Collection<Progress> all() {
    return progress.values();
  }

  /** The highest index durable on a quorum, this leader counting with {@code selfDurable}. */
  public long committedIndex(long selfDurable) {
    fill(incoming, incomingScratch, selfDurable);
    fill(outgoing, outgoingScratch, selfDurable);
    return voters.committedIndex(incomingScratch, outgoingScratch);
  }

  private static void fill(Progress[] voters, long[] scratch, long selfDurable) {
    for (int i = 0; i < voters.length; i++) {
      Progress p = voters[i];
      scratch[i] = p == null ? selfDurable : p.match();
    }
  }

  /** Whether a quorum (this leader included) answered since the last call; clears the marks. */
  public boolean quorumActive() {
    boolean active = voters.isQuorum(id -> id.equals(self) || (progress.containsKey(id) && progress.get(id).recentlyActive()));
    for (Progress p : progress.values()) {
      p.takeActive();
    }
    return active;
  }

  /** Whether a quorum of {@code config} (this leader included) answered within the last {@code ticks} ticks. */
  public boolean quorumHeardWithin(JointConfig config, int ticks) {
    return config.isQuorum(id -> {
      if (id.equals(self)) {
        return true;
      }
      Progress p = progress.get(id);
      return p != null && p.heardWithin(ticks);
    });
  }

  /** Whether a quorum (this leader included) answered read round {@code round} or a later one. */
  public boolean quorumAckedRound(long round) {
    return voters.isQuorum(id -> {
      if (id.equals(self)) {
        return true;
      }
      Progress p = progress.get(id);
      return p != null && p.readRoundAcked() >= round;
    });
  }

  @Override
  public String toString() {
    return progress.values().toString();
  }
}

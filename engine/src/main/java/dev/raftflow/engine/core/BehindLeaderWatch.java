package dev.raftflow.engine.core;

import dev.raftflow.engine.message.AppendResponse;

/**
 * A follower's view of a leader that will not back down: the same leader, in the same term, keeps
 * sending entries after an index this member's log does not reach, although each rejection told it
 * where the log ends. A leader does that only when it holds this member's acknowledgement of those
 * entries (it never moves its match index back), so the log lost writes it had acknowledged: the
 * directory was restored from an older copy, or the disk lied about a sync. Answers lost on the way
 * back look the same for a while, hence the evidence must repeat over an election timeout. Not
 * thread-safe: owned by the core.
 */
final class BehindLeaderWatch {

  /** Rejections of the same request in a row before the loss is reported. */
  static final int REJECTIONS = 3;

  private String leader;
  private long term;
  private long prevIndex = -1;
  private int rejections;
  private int ticks;
  private boolean reported;

  /** One tick of this member's clock. */
  void tick() {
    if (rejections > 0) {
      ticks++;
    }
  }

  /**
   * This member answered {@code leader}'s AppendEntries with {@code r}. Returns true once per
   * leader and term, when the log-too-short rejection of the same index repeated {@link #REJECTIONS}
   * times over at least {@code electionTicks} ticks.
   */
  boolean answered(String leader, long term, AppendResponse r, int electionTicks) {
    if (r.success() || r.conflictTerm() != 0 || r.conflictIndex() == 0) {
      rejections = 0;
      return false;
    }
    boolean same = leader.equals(this.leader) && term == this.term && r.rejectedIndex() == prevIndex;
    if (!same) {
      if (!leader.equals(this.leader) || term != this.term) {
        reported = false;
      }
      this.leader = leader;
      this.term = term;
      this.prevIndex = r.rejectedIndex();
      rejections = 0;
      ticks = 0;
    }
    rejections++;
    if (!reported && rejections >= REJECTIONS && ticks >= electionTicks) {
      reported = true;
      return true;
    }
    return false;
  }
}

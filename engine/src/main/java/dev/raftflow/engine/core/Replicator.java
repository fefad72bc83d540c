package dev.raftflow.engine.core;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.core.tracker.Progress;
import dev.raftflow.engine.core.tracker.SnapshotTransfer;
import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.AppendResponse;
import dev.raftflow.engine.message.InstallSnapshot;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.SnapshotResponse;
import dev.raftflow.engine.spi.Snapshot;
import java.util.List;

/**
 * A leader's sending to its followers, by each one's {@link Progress}: one probe at a time in PROBE,
 * a window of pipelined AppendEntries in REPLICATE, snapshot chunks in SNAPSHOT; heartbeats; and the
 * followers' answers, which move their progress. It sends through {@link Outputs} and decides
 * nothing about commits, terms or roles. Not thread-safe: owned by the core.
 */
final class Replicator {

  private final String id;
  private final RaftOptions options;
  private final RaftLog log;
  private final ConfigHistory configs;
  private final Outputs out;
  /** Rejections in a row (over an election timeout) that make a follower's lost entries certain. */
  static final int LOST_ENTRIES_REJECTIONS = 3;

  private long term;
  private long chunksSent;

  Replicator(String id, RaftOptions options, RaftLog log, ConfigHistory configs, Outputs out) {
    this.id = id;
    this.options = options;
    this.log = log;
    this.configs = configs;
    this.out = out;
  }

  /** This member leads in {@code term}. */
  void lead(long term) {
    this.term = term;
  }

  /** InstallSnapshot chunks sent so far. */
  long chunksSent() {
    return chunksSent;
  }

  // ---------------------------------------------------------------- sending

  /** Sends what the follower's state allows: one probe, or new entries up to the window. */
  void sendAppends(Progress pr, long commit, long readRound, Snapshot latest) {
    switch (pr.state()) {
      case PROBE -> {
        if (!pr.probeSent()) {
          sendAppend(pr, false, commit, readRound, latest);
          pr.sentProbe();
        }
      }
      case REPLICATE -> {
        while (pr.state() == Progress.State.REPLICATE && pr.next() <= log.lastIndex() && !pr.windowFull()) {
          sendAppend(pr, false, commit, readRound, latest);
        }
      }
      case SNAPSHOT -> {}
    }
  }

  /**
   * Sends one AppendEntries from the follower's next index (none when {@code empty}), or the
   * snapshot when the entry before it is compacted away.
   */
  void sendAppend(Progress pr, boolean empty, long commit, long readRound, Snapshot latest) {
    long prev = pr.next() - 1;
    long prevTerm = log.termAt(prev);
    if (prevTerm < 0) {
      sendSnapshot(pr, latest);
      return;
    }
    List<LogEntry> entries = empty
        ? List.of()
        : log.slice(pr.next(), options.maxEntriesPerMessage(), options.maxBytesPerMessage());
    out.send(new AppendEntries(term, id, pr.id(), prev, prevTerm, entries, commit, readRound));
    pr.sentReadRound(readRound);
    if (!entries.isEmpty()) {
      pr.sentEntries(prev + entries.size(), payloadBytes(entries));
    }
  }

  private static long payloadBytes(List<LogEntry> entries) {
    long bytes = 0;
    for (LogEntry e : entries) {
      bytes += e.data().length;
    }
    return bytes;
  }

  /** One heartbeat for the follower: what its state needs to keep it in step or to move a transfer on. */
  void heartbeat(Progress pr, long commit, long readRound, Snapshot latest) {
    switch (pr.state()) {
      case PROBE -> {
        pr.resumeProbe();
        sendAppends(pr, commit, readRound, latest);
      }
      case REPLICATE -> {
        if (pr.next() > log.lastIndex() || pr.windowFull()) {
          sendAppend(pr, true, commit, readRound, latest);
        } else {
          sendAppends(pr, commit, readRound, latest);
        }
      }
      case SNAPSHOT -> {
        SnapshotTransfer t = pr.transfer();
        t.ticked(options.heartbeatTicks());
        if (t.snapshot() != latest && stalled(pr)) {
          // a follower down: hold the latest snapshot for it instead, so the old one can go; the next
          // probe starts that transfer when it answers
          pr.stopCatchingUp();
          pr.inflights().reset();
          t.switchTo(latest);
        }
        if (t.ticksSinceSent() >= Math.max(1, options.electionTicks() / 2)) {
          // nothing sent for half an election timeout: an empty chunk at the end of what was sent
          // keeps the follower from campaigning and asks where it stands; the answer brings the
          // leader back to a missing chunk
          sendSnapshotProbe(pr);
        }
      }
    }
  }

  private void sendSnapshot(Progress pr, Snapshot latest) {
    pr.becomeSnapshot(latest);
    sendSnapshotChunks(pr);
  }

  /**
   * Sends the chunks of the transfer under way from where it stands, each of at most
   * snapshotChunkBytes, while fewer than maxInflightMessages chunks' worth of bytes are unanswered.
   * The snapshot sent is the one the transfer started with, even if a newer one was taken since.
   */
  private void sendSnapshotChunks(Progress pr) {
    SnapshotTransfer t = pr.transfer();
    Snapshot s = t.snapshot();
    long size = s.size();
    long chunk = options.snapshotChunkBytes();
    do {
      long from = t.nextOffset();
      long to = Math.min(size, from + chunk);
      // a file-backed snapshot is read here, on the loop: one bounded chunk at a time (page cache)
      byte[] part = s.content().slice(from, (int) (to - from));
      out.send(new InstallSnapshot(term, id, pr.id(), s.index(), s.term(), t.nextSeq(), from, size, part,
          configs.of(s)));
      chunksSent++;
      t.sentTo(to);
    } while (!t.allSent() && t.unacknowledged() < window());
  }

  private long window() {
    return (long) options.snapshotChunkBytes() * options.maxInflightMessages();
  }

  /**
   * Whether a snapshot transfer looks abandoned (the follower down): no answer for two election
   * timeouts before it confirmed any byte, or for ten once it did. Lossy links lose probes too, so a
   * transfer under way gets the longer grace before it is given up.
   */
  boolean stalled(Progress pr) {
    SnapshotTransfer t = pr.transfer();
    return t.ticksSinceAnswer() >= (t.ackedOffset() == 0 ? 2 : 10) * options.electionTicks();
  }

  /** An empty chunk at the end of what was sent: the answer says how much the follower holds. */
  private void sendSnapshotProbe(Progress pr) {
    SnapshotTransfer t = pr.transfer();
    Snapshot s = t.snapshot();
    out.send(new InstallSnapshot(term, id, pr.id(), s.index(), s.term(), t.nextSeq(), t.nextOffset(),
        s.size(), new byte[0], configs.of(s)));
  }

  // ---------------------------------------------------------------- answers

  /**
   * Takes an AppendEntries answer into the follower's progress (it is marked active by the caller).
   * Returns true when its match advanced.
   */
  boolean appendAnswered(Progress pr, AppendResponse r, ReadIndexQueue rounds) {
    if (r.success()) {
      if (r.matchIndex() > log.lastIndex()) {
        return false; // cannot match what we never had: a confused peer; ignore
      }
      boolean advanced = pr.updateMatch(r.matchIndex());
      pr.appendAccepted(r.matchIndex());
      pr.lostEntriesCleared();
      return advanced;
    }
    if (contradictsMatch(pr, r)) {
      // The first such answer may be an old one (late, or duplicated): only answers to appends
      // sent after it, fenced by a fresh read round they echo, count as evidence.
      if (!pr.lostEntriesSuspected()) {
        pr.suspectLostEntries(rounds.freshRound());
      } else if (r.readRound() >= pr.lostEntriesRound()
          && pr.lostEntriesSeen(LOST_ENTRIES_REJECTIONS, options.electionTicks())) {
        long followerLast = r.conflictTerm() == 0 ? r.conflictIndex() - 1 : r.rejectedIndex();
        out.report(new Outcome.FollowerLostEntries(pr.id(), pr.match(), followerLast, term));
        pr.matchLost(Math.min(followerLast + 1, log.lastIndex() + 1));
        return false;
      }
    } else if (r.rejectedIndex() >= pr.match()) {
      pr.lostEntriesCleared();
    }
    if (pr.isCurrentRejection(r.rejectedIndex())) {
      pr.appendRejected(nextAfterRejection(pr, r));
    }
    return false;
  }

  /**
   * Whether a rejection of an append at or after the follower's match says it lacks entries it
   * acknowledged: its log ends below its match, or holds another term at the match. (A rejection of
   * an earlier index is an old answer.) A leader sends from match + 1 at the lowest, so such a
   * follower would stay behind for good; once the evidence is certain the leader says so and sends
   * it the entries again.
   */
  private static boolean contradictsMatch(Progress pr, AppendResponse r) {
    if (pr.match() == 0 || r.rejectedIndex() < pr.match()) {
      return false;
    }
    return r.conflictTerm() == 0 ? r.conflictIndex() > 0 && r.conflictIndex() <= pr.match()
        : r.rejectedIndex() == pr.match();
  }

  /** The fast backtracking of the lab: skip a whole conflicting term, or to the follower's end. */
  private long nextAfterRejection(Progress pr, AppendResponse r) {
    long next = r.conflictIndex();
    if (r.conflictTerm() > 0) {
      long last = log.lastIndexOfTerm(r.conflictTerm(), r.rejectedIndex());
      if (last > 0) {
        next = last + 1;
      }
    }
    next = Math.min(next, r.rejectedIndex());
    return Math.max(Math.max(next, pr.match() + 1), 1);
  }

  /**
   * Takes a chunk's answer: moves the transfer on (or back to a missing chunk, or to the latest
   * snapshot when the follower holds nothing of an older one). The caller checked it is a partial
   * answer from a follower it tracks.
   */
  void chunkAnswered(Progress pr, SnapshotResponse r, Snapshot latest) {
    SnapshotTransfer t = pr.transfer();
    if (pr.state() != Progress.State.SNAPSHOT || r.snapshotIndex() != t.index()
        || r.nextOffset() > t.snapshot().size() || !t.answered(r.seq(), r.offset(), r.nextOffset())) {
      return; // about another transfer, confused, or overtaken by the answer to a later chunk
    }
    if (t.needsRewind(r.seq(), r.offset(), r.nextOffset())) {
      if (SnapshotTransfer.lostEverything(r.offset(), r.nextOffset()) && t.snapshot() != latest) {
        sendSnapshot(pr, latest); // it holds nothing: send the latest snapshot instead
        return;
      }
      // a chunk went missing (or the follower restarted): go back to it, once; answers to chunks
      // sent before this point would only ask for the same again
      t.rewind(r.nextOffset());
    }
    t.skipAcknowledged();
    if (!t.allSent() && t.unacknowledged() < window()) {
      sendSnapshotChunks(pr);
    }
  }

  /**
   * Takes the answer that a whole snapshot is held up to {@code r.matchIndex()}. Returns true when
   * the follower's match advanced; a transfer covered by it ends, and the follower catches up from
   * the log after {@code leaderSnapshotIndex}.
   */
  boolean snapshotHeld(Progress pr, SnapshotResponse r, long leaderSnapshotIndex) {
    boolean advanced = r.matchIndex() <= log.lastIndex() && pr.updateMatch(r.matchIndex());
    if (pr.state() == Progress.State.SNAPSHOT && pr.match() >= pr.transfer().index()) {
      // (an older snapshot reported as already held does not end the transfer under way)
      pr.snapshotInstalled(leaderSnapshotIndex);
    }
    return advanced;
  }

  /**
   * The lowest index the leader must keep for {@code pr}, at most {@code to}: a follower receiving a
   * snapshot or catching up from one needs the entries after it; one past help (too far behind, or
   * behind what is held) gets the next snapshot instead.
   */
  long keepFor(Progress pr, long to) {
    long needs;
    if (pr.state() == Progress.State.SNAPSHOT) {
      // a transfer stalled for two election timeouts (a follower down?) holds nothing back
      needs = stalled(pr) ? Long.MAX_VALUE : pr.transfer().index();
    } else if (pr.catchingUp()) {
      needs = pr.match();
    } else {
      return to;
    }
    if (needs < log.baseIndex() || to - needs > options.snapshotCatchUpEntries()) {
      pr.stopCatchingUp(); // already past help, or too far behind: the next snapshot it is
      return to;
    }
    return Math.min(to, needs);
  }
}

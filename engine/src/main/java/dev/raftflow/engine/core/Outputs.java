package dev.raftflow.engine.core;

import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.AppendResponse;
import dev.raftflow.engine.message.InstallSnapshot;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.Quiesce;
import dev.raftflow.engine.message.ReadIndexRequest;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.message.SnapshotResponse;
import dev.raftflow.engine.message.VoteResponse;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.Snapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * What the core produced since the last {@link Ready}: messages to send now, messages that promise
 * durable state, the parts of the next log write, and outcomes. Not thread-safe: owned by the core.
 */
final class Outputs {

  private List<Message> messages = new ArrayList<>();
  private List<Message> afterWrite = new ArrayList<>();
  private boolean hardStateDirty;
  private Snapshot snapshot;
  private long writeFrom = Long.MAX_VALUE;
  private List<Outcome> outcomes = new ArrayList<>();

  /** A message that may leave while this member's own write is under way (a leader's appends). */
  void send(Message m) {
    messages.add(m);
  }

  /** A message that promises durable state (a vote, an acknowledgement): it leaves after the write. */
  void sendAfterWrite(Message m) {
    afterWrite.add(m);
  }

  /**
   * Answers append {@code a} with {@code r} once what it promises is durable. A heartbeat (no
   * entries) promises nothing new: it is answered at once with what is durable ({@code durable})
   * of what it matched, so a follower whose writes queue behind a slow disk still tells its leader
   * that it follows (CheckQuorum, the lease, read rounds) without waiting for them.
   */
  void answerAppend(AppendEntries a, AppendResponse r, long durable) {
    if (a.entries().isEmpty() && r.success()) {
      send(r.matchIndex() <= durable ? r : AppendResponse.accepted(r.term(), r.from(), r.to(), durable, r.readRound()));
    } else {
      sendAfterWrite(r);
    }
  }

  /** The term or vote changed. */
  void hardStateChanged() {
    hardStateDirty = true;
  }

  void writeSnapshot(Snapshot s) {
    snapshot = s;
  }

  /** Entries from {@code index} on are new or replaced. */
  void writeEntriesFrom(long index) {
    writeFrom = Math.min(writeFrom, index);
  }

  /**
   * Answers {@code m}, of a term older than {@code term}, as {@code self}: requests are refused with
   * our term, which tells the sender; stale responses are dropped.
   */
  void refuseStale(Message m, long term, String self) {
    if (m instanceof ReadIndexRequest r) {
      FollowerReads.refuse(r, term, self, this);
    } else if (m instanceof AppendEntries a) {
      sendAfterWrite(AppendResponse.rejected(term, self, a.from(), a.prevLogIndex(), 0, 0));
    } else if (m instanceof Quiesce q) {
      sendAfterWrite(AppendResponse.rejected(term, self, q.from(), q.lastIndex(), 0, 0)); // tells it the term
    } else if (m instanceof InstallSnapshot s) {
      sendAfterWrite(SnapshotResponse.refused(term, self, s.from()));
    } else if (m instanceof RequestVote v) {
      sendAfterWrite(new VoteResponse(term, self, v.from(), false));
    }
  }

  void report(Outcome o) {
    outcomes.add(o);
  }

  void readConfirmed(long id, long index) {
    report(new Outcome.ReadConfirmed(id, index));
  }

  void readFailed(long id) {
    report(new Outcome.ReadFailed(id));
  }

  /**
   * Hands out everything collected as one Ready, given the term, vote and log now, holding back in
   * {@code gate} what may not leave yet.
   */
  Ready take(long term, String votedFor, RaftLog log, DurabilityGate gate) {
    HardState hs = hardStateDirty ? new HardState(term, votedFor) : null;
    List<LogEntry> entries = writeFrom == Long.MAX_VALUE ? List.of() : log.suffix(Math.max(writeFrom, log.firstIndex()));
    LogWrite write = new LogWrite(hs, snapshot, entries, log.lastIndex(), log.lastTerm());
    List<Message> now = messages;
    List<Message> after = afterWrite;
    if ((hs != null || gate.termOrVotePending()) && !now.isEmpty()) {
      // nothing goes out under a term or vote that is not durable yet: a voter alone in its
      // configuration wins without asking anyone, and if it crashed before the write, it could vote
      // for another in the same term after its restart, while its own appends were already out
      after.addAll(0, now);
      now = new ArrayList<>();
    }
    if (!write.isEmpty()) {
      write = gate.issue(write);
    } else if (!after.isEmpty()) {
      if (gate.anyPending()) {
        gate.holdBehindPending(after); // an answer promising what an earlier write makes durable
      } else {
        now.addAll(after);
      }
      after = new ArrayList<>();
    }
    List<Message> released = gate.takeReleased();
    if (!released.isEmpty()) {
      released = new ArrayList<>(released);
      released.addAll(now);
      now = released;
    }
    Ready r = new Ready(now, write, after, outcomes.isEmpty() ? List.of() : outcomes);
    if (!outcomes.isEmpty()) {
      outcomes = new ArrayList<>();
    }
    messages = new ArrayList<>();
    afterWrite = new ArrayList<>();
    hardStateDirty = false;
    snapshot = null;
    writeFrom = Long.MAX_VALUE;
    return r;
  }
}

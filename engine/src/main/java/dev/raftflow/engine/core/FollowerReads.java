package dev.raftflow.engine.core;

import dev.raftflow.engine.message.ReadIndexRequest;
import dev.raftflow.engine.message.ReadIndexResponse;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A follower's reads waiting for the leader's read point (follower reads, Raft thesis §6.4): each
 * was asked of one leader in one term and is answered by that leader's {@link ReadIndexResponse},
 * or fails when this member stops following it or no answer comes within an election timeout
 * (messages get lost). Not thread-safe: owned by the core.
 */
final class FollowerReads {

  private record Asked(String leader, long term, int ticks) {}

  private final Map<Long, Asked> pending = new LinkedHashMap<>();

  /** Asks {@code leader}, leading {@code term}, for the read point of read {@code id} of member {@code self}. */
  void ask(long id, String self, String leader, long term, Outputs out) {
    pending.put(id, new Asked(leader, term, 0));
    out.send(new ReadIndexRequest(term, self, leader, id));
  }

  /** Whether no read waits for the leader's answer. */
  boolean isEmpty() {
    return pending.isEmpty();
  }

  /** Refuses a read-index request this member cannot serve (it does not lead {@code term}). */
  static void refuse(ReadIndexRequest r, long term, String self, Outputs out) {
    out.send(new ReadIndexResponse(term, self, r.from(), r.id(), 0, false));
  }

  /** The leader's answer: confirms or fails the read it is about, if it is still waiting for that leader. */
  void answered(ReadIndexResponse r, Outputs out) {
    Asked a = pending.get(r.id());
    if (a == null || !a.leader().equals(r.from()) || a.term() != r.term()) {
      return; // late, or about another read
    }
    pending.remove(r.id());
    if (r.ok()) {
      out.readConfirmed(r.id(), r.index());
    } else {
      out.readFailed(r.id());
    }
  }

  /** One tick: reads unanswered for {@code timeoutTicks} fail. */
  void tick(int timeoutTicks, Outputs out) {
    Iterator<Map.Entry<Long, Asked>> it = pending.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, Asked> e = it.next();
      Asked a = e.getValue();
      if (a.ticks() + 1 >= timeoutTicks) {
        it.remove();
        out.readFailed(e.getKey());
      } else {
        e.setValue(new Asked(a.leader(), a.term(), a.ticks() + 1));
      }
    }
  }

  /** This member stopped following the leader the reads were asked of: they all fail. */
  void failAll(Outputs out) {
    for (long id : pending.keySet()) {
      out.readFailed(id);
    }
    pending.clear();
  }
}

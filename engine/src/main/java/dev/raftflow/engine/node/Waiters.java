package dev.raftflow.engine.node;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.LeadershipTransferException;
import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.Membership;
import dev.raftflow.engine.NotLeaderException;
import dev.raftflow.engine.OutcomeUnknownException;
import dev.raftflow.engine.ProposalDroppedException;
import dev.raftflow.engine.RaftException;
import dev.raftflow.engine.core.Outcome;
import dev.raftflow.engine.core.Outcome.TransferResult;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import reactor.core.publisher.MonoSink;

/**
 * The callers a node owes an answer: submits waiting for their entry to be applied, reads waiting for
 * confirmation and then for their index to be applied, the leadership transfer and the membership
 * change under way. Each is settled from the core's {@link Outcome}s and the apply stream. Loop
 * thread only.
 */
final class Waiters {

  private record PendingApply(LogPosition position, MonoSink<LogPosition> sink) {}

  private record ConfirmedRead(long index, CompletableFuture<Long> done) {}

  private record Transfer(String target, CompletableFuture<Void> done) {}

  private final String nodeId;
  private final ArrayDeque<PendingApply> applies = new ArrayDeque<>();
  /** Reads asked of the core, by id, and reads confirmed, waiting for their index to apply. */
  private final Map<Long, CompletableFuture<Long>> readsUnconfirmed = new HashMap<>();
  private final ArrayDeque<ConfirmedRead> readsAwaitingApply = new ArrayDeque<>();
  private long lastReadId;
  private Transfer transfer;
  private CompletableFuture<Membership> membershipChange;

  Waiters(String nodeId) {
    this.nodeId = nodeId;
  }

  // ---------------------------------------------------------------- submits

  /** {@code sink} waits for the entry at {@code pos} to be applied. */
  void awaitApply(LogPosition pos, MonoSink<LogPosition> sink) {
    // an older proposal at this index or later was overwritten: our log no longer holds it
    while (!applies.isEmpty() && applies.peekLast().position.index() >= pos.index()) {
      PendingApply old = applies.pollLast();
      old.sink.error(new ProposalDroppedException(old.position.index(), old.position.term()));
    }
    applies.addLast(new PendingApply(pos, sink));
  }

  /** Settles the submits that {@code ev} (just handed to the service) answers. */
  void applied(ApplyEvent ev) {
    PendingApply p;
    while ((p = applies.peekFirst()) != null && p.position.index() <= ev.index()) {
      applies.pollFirst();
      if (ev instanceof ApplyEvent.Entry e && p.position.index() == e.index()) {
        if (p.position.term() == e.term()) {
          p.sink.success(p.position);
        } else {
          p.sink.error(new ProposalDroppedException(p.position.index(), p.position.term()));
        }
      } else {
        p.sink.error(new OutcomeUnknownException("proposal at index " + p.position.index()
            + " is covered by a snapshot from the leader; its outcome is unknown"));
      }
    }
  }

  /**
   * This node stopped leading: submits of entries past the commit index fail at once, their outcome
   * unknown (the next leader may or may not commit them), instead of waiting for an apply that may
   * never come here; those at or below it are committed and complete when applied.
   */
  private void leadershipLost(Outcome.LeadershipLost l, String leader) {
    while (!applies.isEmpty() && applies.peekLast().position.index() > l.commitIndex()) {
      PendingApply p = applies.pollLast();
      p.sink.error(new OutcomeUnknownException("node " + nodeId + " stopped leading term " + l.term()
          + " before entry " + p.position.index() + " committed; it may still commit under the next leader"
          + (leader == null ? "" : " (" + leader + ")") + ": check before retrying", leader));
    }
  }

  /** This node was removed: submits past {@code commitIndex} will never be seen committed here. */
  void removedFromGroup(long commitIndex) {
    while (!applies.isEmpty() && applies.peekLast().position.index() > commitIndex) {
      PendingApply p = applies.pollLast();
      p.sink.error(new OutcomeUnknownException("node " + nodeId + " was removed from the group before entry "
          + p.position.index() + " committed here: its outcome is unknown (ask the group's leader)"));
    }
  }

  /** Whether a submit waits for an entry past {@code commitIndex}. */
  boolean awaitsBeyond(long commitIndex) {
    return !applies.isEmpty() && applies.peekLast().position.index() > commitIndex;
  }

  // ---------------------------------------------------------------- reads

  /** A new read id, to ask the core with. */
  long nextReadId() {
    return ++lastReadId;
  }

  void awaitRead(long readId, CompletableFuture<Long> done) {
    readsUnconfirmed.put(readId, done);
  }

  /** A read answered without a round (the lease holds): it completes once {@code index} is applied. */
  void readConfirmedLocally(long index, CompletableFuture<Long> done) {
    readsAwaitingApply.addLast(new ConfirmedRead(index, done));
  }

  /** Completes the confirmed reads whose index the service has been handed. */
  void readsApplied(long appliedIndex) {
    ConfirmedRead r;
    while ((r = readsAwaitingApply.peekFirst()) != null && r.index <= appliedIndex) {
      readsAwaitingApply.pollFirst();
      r.done.complete(r.index);
    }
  }

  // ---------------------------------------------------------------- transfer and membership

  /** Starts waiting for a transfer to {@code target}; one under way fails as replaced. */
  void awaitTransfer(String target, CompletableFuture<Void> done) {
    replaceTransfer(target);
    transfer = new Transfer(target, done);
  }

  /** Fails the transfer under way, if any, as replaced by one to {@code newTarget}. */
  void replaceTransfer(String newTarget) {
    if (transfer != null) {
      transfer.done.completeExceptionally(new LeadershipTransferException(transfer.target,
          LeadershipTransferException.Reason.REPLACED, "replaced by a transfer to " + newTarget));
      transfer = null;
    }
  }

  boolean changingMembership() {
    return membershipChange != null;
  }

  void awaitMembership(CompletableFuture<Membership> done) {
    membershipChange = done;
  }

  // ---------------------------------------------------------------- outcomes

  /** Settles what {@code o} answers; {@code term} and {@code leader} are the node's now. */
  void settle(Outcome o, long term, String leader) {
    if (o instanceof Outcome.ReadConfirmed r) {
      CompletableFuture<Long> done = readsUnconfirmed.remove(r.id());
      if (done != null) {
        readsAwaitingApply.addLast(new ConfirmedRead(r.index(), done));
      }
    } else if (o instanceof Outcome.ReadFailed r) {
      CompletableFuture<Long> done = readsUnconfirmed.remove(r.id());
      if (done != null) {
        done.completeExceptionally(new NotLeaderException(nodeId, term, leader));
      }
    } else if (o instanceof Outcome.MembershipCommitted c) {
      if (membershipChange != null) {
        membershipChange.complete(c.membership());
        membershipChange = null;
      }
    } else if (o instanceof Outcome.MembershipUnknown u) {
      if (membershipChange != null) {
        membershipChange.completeExceptionally(new OutcomeUnknownException("node " + nodeId
            + " lost the leadership in term " + u.term() + " before the change to " + u.target()
            + " committed; it may still take effect (read the membership on the new leader)"));
        membershipChange = null;
      }
    } else if (o instanceof Outcome.TransferEnded t) {
      settleTransfer(t);
    } else if (o instanceof Outcome.LeadershipLost l) {
      leadershipLost(l, leader);
    }
  }

  private void settleTransfer(Outcome.TransferEnded t) {
    Transfer w = transfer;
    if (w == null || !w.target.equals(t.target())) {
      return;
    }
    transfer = null;
    if (t.result() == TransferResult.COMPLETED) {
      w.done.complete(null);
      return;
    }
    LeadershipTransferException.Reason reason = switch (t.result()) {
      case OTHER_LEADER -> LeadershipTransferException.Reason.OTHER_LEADER;
      case TIMED_OUT -> LeadershipTransferException.Reason.TIMED_OUT;
      case TARGET_REMOVED -> LeadershipTransferException.Reason.TARGET_REMOVED;
      case LEADERSHIP_LOST -> LeadershipTransferException.Reason.LEADERSHIP_LOST;
      default -> LeadershipTransferException.Reason.UNKNOWN;
    };
    w.done.completeExceptionally(new LeadershipTransferException(t.target(), reason,
        "term " + t.term() + ", leader " + t.leader()));
  }

  /** The transfer to this node itself: the one under way is cancelled, and this one done. */
  void transferToSelf(CompletableFuture<Void> done) {
    replaceTransfer(nodeId);
    done.complete(null);
  }

  /** Fails everything still waiting (the node stops). */
  void failAll(RaftException e) {
    applies.forEach(p -> p.sink.error(e));
    applies.clear();
    readsUnconfirmed.values().forEach(f -> f.completeExceptionally(e));
    readsUnconfirmed.clear();
    readsAwaitingApply.forEach(r -> r.done.completeExceptionally(e));
    readsAwaitingApply.clear();
    if (transfer != null) {
      transfer.done.completeExceptionally(e);
      transfer = null;
    }
    if (membershipChange != null) {
      membershipChange.completeExceptionally(e);
      membershipChange = null;
    }
  }
}

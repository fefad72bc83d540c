package dev.raftflow.engine.node;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.Membership;
import dev.raftflow.engine.RaftException;
import dev.raftflow.engine.SnapshotData;
import dev.raftflow.engine.message.Message;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.MonoSink;

/** What a node's event loop handles, one at a time, on its thread. */
sealed interface NodeEvent {

  /** A message from a peer. */
  record Inbound(Message message) implements NodeEvent {}

  /** A command to append; {@code accepted} completes once appended, {@code applied} once applied. */
  record Propose(byte[] command, CompletableFuture<LogPosition> accepted, MonoSink<LogPosition> applied)
      implements NodeEvent {
    void fail(RaftException e) {
      if (accepted != null) {
        accepted.completeExceptionally(e);
      }
      if (applied != null) {
        applied.error(e);
      }
    }
  }

  /** A log write became durable (or failed). */
  record WriteDone(WritePipeline.PendingWrite write) implements NodeEvent {}

  record TakeSnapshot(long index, SnapshotData data, CompletableFuture<Void> done) implements NodeEvent {}

  record ReadRequest(CompletableFuture<Long> done) implements NodeEvent {}

  record TransferRequest(String target, CompletableFuture<Void> done) implements NodeEvent {}

  /** A membership change; {@code target} computes the target from the configuration in force. */
  record MembershipRequest(UnaryOperator<Membership> target, boolean force, CompletableFuture<Membership> done)
      implements NodeEvent {}

  /** The apply stream's subscriber ({@code null}: it went away). */
  record ApplySubscribe(FluxSink<ApplyEvent> sink) implements NodeEvent {}

  record ApplyDemand(long n) implements NodeEvent {}

  enum Close implements NodeEvent {
    INSTANCE
  }

  /** The host asks a quiet follower of {@code leader} to wake: the leader's host stopped answering. */
  record WakeIfLeader(String leader) implements NodeEvent {}
}

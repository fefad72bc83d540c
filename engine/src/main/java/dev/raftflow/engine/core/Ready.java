package dev.raftflow.engine.core;

import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.spi.LogWrite;
import java.util.List;

/**
 * What the core asks its driver to do after a batch of inputs (etcd's {@code Ready}):
 *
 * <ol>
 *   <li>send {@code messages} now (the leader's appends and snapshots, which may travel while its
 *       own disk write is under way), unless the write of an earlier Ready that carries a hard state
 *       (term or vote) is not durable yet: then send them after that write, like {@code
 *       messagesAfterWrite}. Nothing may go out under a term or vote a crash could still lose (a
 *       Ready whose own write carries one already moves its messages to {@code messagesAfterWrite});
 *   <li>make {@code write} durable (skip when empty), then send {@code messagesAfterWrite} (votes and
 *       acknowledgements, which promise durable state), then report
 *       {@link RaftCore#persisted(long, long)} with the write's last index and term.
 * </ol>
 *
 * Also the outcome of linearizable reads ({@link RaftCore#requestRead(long)}): {@code readsConfirmed}
 * (id and read index, in request order) and {@code readsFailed} (ids of reads whose leader stepped
 * down before a majority confirmed it).
 *
 * Readies must be handled in the order the core produced them.
 */
public record Ready(List<Message> messages, LogWrite write, List<Message> messagesAfterWrite,
    List<ReadState> readsConfirmed, List<Long> readsFailed) {

  /** A confirmed read: the service may answer read {@code id} once it has applied {@code index}. */
  public record ReadState(long id, long index) {}

  public Ready(List<Message> messages, LogWrite write, List<Message> messagesAfterWrite) {
    this(messages, write, messagesAfterWrite, List.of(), List.of());
  }

  public boolean isEmpty() {
    return messages.isEmpty() && write.isEmpty() && messagesAfterWrite.isEmpty() && readsConfirmed.isEmpty()
        && readsFailed.isEmpty();
  }
}

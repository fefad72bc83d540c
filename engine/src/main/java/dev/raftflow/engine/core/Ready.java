package dev.raftflow.engine.core;

import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.spi.LogWrite;
import java.util.ArrayList;
import java.util.List;

/**
 * What the core asks its driver to do after a batch of inputs (the contract is written out in
 * {@code docs/design.md}):
 *
 * <ol>
 *   <li>send {@code messages} now;
 *   <li>when {@code write} is not empty: make it durable (writes become durable in {@code seq}
 *       order), then send {@code messagesAfterWrite}, then call {@link RaftCore#persisted(long)} with
 *       the write's {@code seq}. A Ready whose write is empty has no after-write messages.
 * </ol>
 *
 * The core itself holds back what may not leave yet (nothing goes out under a term or vote that is
 * not durable), so a driver that follows these two steps cannot break that rule. {@code outcomes}
 * reports, in order, what a driver may be waiting for: reads confirmed or failed, membership
 * changes, leadership transfers, stalled writes. Readies must be handled in the order produced.
 */
public record Ready(List<Message> messages, LogWrite write, List<Message> messagesAfterWrite, List<Outcome> outcomes) {

  public Ready {
    if (write.isEmpty() && !messagesAfterWrite.isEmpty()) {
      throw new IllegalArgumentException("a Ready without a write has no after-write messages");
    }
  }

  /** The outcomes of one kind, in order. */
  public <T extends Outcome> List<T> outcomes(Class<T> kind) {
    List<T> out = new ArrayList<>();
    for (Outcome o : outcomes) {
      if (kind.isInstance(o)) {
        out.add(kind.cast(o));
      }
    }
    return out;
  }

  public boolean isEmpty() {
    return messages.isEmpty() && write.isEmpty() && messagesAfterWrite.isEmpty() && outcomes.isEmpty();
  }
}

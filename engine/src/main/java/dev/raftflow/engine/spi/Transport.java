package dev.raftflow.engine.spi;

import dev.raftflow.engine.message.Message;
import reactor.core.publisher.Flux;

/**
 * Carries messages between the members of one Raft group, as seen by one member.
 *
 * <p>Raft tolerates loss, duplication, delay and reordering, so a transport is one-way and best
 * effort: {@link #send} never blocks and may drop a message (for example when a peer is
 * unreachable or its outbound queue is full). It must never alter one.
 *
 * <p>Threading: {@link #send} is called from the node's event loop only. {@link #inbound()} is
 * subscribed once by the node; the transport must honour the subscriber's demand (request-n) and
 * buffer at most a bounded amount beyond it, dropping what does not fit.
 */
public interface Transport extends AutoCloseable {

  /** Sends {@code message} to {@code message.to()}. Never blocks, never throws for a lost peer. */
  void send(Message message);

  /**
   * The largest message this transport carries whole, in bytes of its {@code MessageCodec}
   * encoding ({@code MessageCodec.encodedSize}). A larger message is never split or altered: it is
   * dropped and counted like any lost message. The node's options must therefore keep every message
   * within this limit ({@code MessageSizes.requireFit}, checked when a node starts), and the
   * value must not change while the transport runs. Default: no limit ({@link Integer#MAX_VALUE}).
   */
  default int maxMessageBytes() {
    return Integer.MAX_VALUE;
  }

  /** Messages addressed to this member. Subscribed once. */
  Flux<Message> inbound();

  /** Releases the transport's resources. Idempotent. */
  @Override
  void close();
}

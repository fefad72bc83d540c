package dev.raftflow.transport.rsocket;

import io.rsocket.RSocket;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;

/**
 * All a {@link PeerLink} needs from the transport that owns it: its settings and counters, where a
 * peer listens, a way to dial it, and whether a connection to it may exist now. Implemented by the
 * transport for its links; thread-safe.
 */
interface LinkHost {

  LinkSettings settings();

  TransportCounters counters();

  /** Where {@code peerId} listens now, or null when not known. */
  InetSocketAddress addressOf(String peerId);

  /**
   * Opens an RSocket connection to {@code peerId} at {@code address}, identifying this node in the
   * setup frame; {@code onChannel} learns the connection's Netty event loop before the Mono
   * completes. Never cancelled by the link (see {@link PeerLink}).
   */
  Mono<RSocket> dial(String peerId, InetSocketAddress address, Consumer<Executor> onChannel);

  /** Whether a connection to {@code peerId} may exist now (transport open, not isolated or blocked). */
  boolean mayConnect(String peerId);

  /** The frame format of the links' channels (default: {@link RSocketTransport}'s). */
  default OutboundFrames frames() {
    return SingleGroupFrames.INSTANCE;
  }
}

package dev.raftflow.transport.rsocket;

import io.netty.handler.ssl.SslContext;
import io.rsocket.SocketAcceptor;
import io.rsocket.core.RSocketServer;
import io.rsocket.frame.decoder.PayloadDecoder;
import io.rsocket.transport.netty.server.CloseableChannel;
import io.rsocket.transport.netty.server.TcpServerTransport;
import java.time.Duration;
import java.util.Set;
import reactor.core.publisher.Mono;
import reactor.netty.tcp.TcpServer;

/**
 * Binds the listening side of a peer transport: TCP (optionally TLS), zero-copy payloads, the frame
 * limits, a 10 s deadline for the SETUP frame, and every accepted TCP connection tracked in {@code
 * accepted} until it closes (so that isolation and close can cut them). Stateless.
 */
final class PeerServer {

  private PeerServer() {}

  static Mono<CloseableChannel> bind(String host, int port, SslContext ssl, FrameLimit limit, SocketAcceptor acceptor,
      Set<reactor.netty.Connection> accepted) {
    TcpServer tcp = TcpServer.create()
        .host(host)
        .port(port)
        .doOnConnection(c -> {
          // refusals happen at setup (RejectedSetupException, then the connection is closed):
          // closing at accept races RSocket's own setup exchange and leaks the dialer's SETUP frame
          // inside RSocket 1.1.5
          accepted.add(c);
          c.onDispose(() -> accepted.remove(c));
        });
    if (ssl != null) {
      tcp = tcp.secure(spec -> spec.sslContext(ssl));
    }
    RSocketServer rs = RSocketServer.create(acceptor)
        .payloadDecoder(PayloadDecoder.ZERO_COPY)
        .maxInboundPayloadSize(limit.maxPayloadBytes())
        .maxTimeToFirstFrame(Duration.ofSeconds(10));
    if (limit.fragments()) {
      rs = rs.fragment(FrameLimit.FRAGMENT_BYTES);
    }
    return rs.bind(TcpServerTransport.create(tcp, limit.transportFrameLength()));
  }
}

package dev.raftflow.transport.rsocket;

import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.SslContext;
import io.rsocket.RSocket;
import io.rsocket.core.RSocketConnector;
import io.rsocket.frame.decoder.PayloadDecoder;
import io.rsocket.transport.netty.client.TcpClientTransport;
import io.rsocket.util.DefaultPayload;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;
import reactor.netty.tcp.TcpClient;

/**
 * Opens this node's outbound RSocket connections: TCP (optionally TLS) with a connect timeout, a
 * {@link SetupFrame} identifying this node to the peer it means to reach, keep-alive, zero-copy
 * payloads and the transport's frame limits. Immutable and thread-safe; each dial is independent.
 */
final class PeerDialer {

  private final String clusterId;
  private final String nodeId;
  private final Optional<byte[]> secret;
  private final SslContext clientSsl;
  private final Duration connectTimeout;
  private final Duration keepAliveInterval;
  private final Duration keepAliveMaxLifetime;
  private final WireVersions.Range versions;
  private final FrameLimit limit;

  PeerDialer(String clusterId, String nodeId, Optional<byte[]> secret, SslContext clientSsl, Duration connectTimeout,
      Duration keepAliveInterval, Duration keepAliveMaxLifetime, FrameLimit limit, WireVersions.Range versions) {
    this.versions = versions;
    this.clusterId = clusterId;
    this.nodeId = nodeId;
    this.secret = secret;
    this.clientSsl = clientSsl;
    this.connectTimeout = connectTimeout;
    this.keepAliveInterval = keepAliveInterval;
    this.keepAliveMaxLifetime = keepAliveMaxLifetime;
    this.limit = limit;
  }

  /**
   * Dials {@code peerId} at {@code address}, advertising {@code advertised} as where this node
   * listens; {@code onChannel} learns the connection's Netty event loop first.
   */
  Mono<RSocket> dial(String peerId, InetSocketAddress address, Optional<InetSocketAddress> advertised,
      Consumer<Executor> onChannel) {
    TcpClient tcp = TcpClient.create()
        .remoteAddress(() -> address)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
        .doOnConnected(c -> onChannel.accept(c.channel().eventLoop()));
    if (clientSsl != null) {
      tcp = tcp.secure(spec -> spec.sslContext(clientSsl));
    }
    byte[] setup = SetupFrame.create(clusterId, nodeId, peerId, advertised, secret).encode();
    RSocketConnector c = RSocketConnector.create()
        .dataMimeType(SetupFrame.MIME_TYPE)
        .setupPayload(DefaultPayload.create(setup, WireVersions.encode(versions)))
        .keepAlive(keepAliveInterval, keepAliveMaxLifetime)
        .payloadDecoder(PayloadDecoder.ZERO_COPY)
        .maxInboundPayloadSize(limit.maxPayloadBytes());
    if (limit.fragments()) {
      c = c.fragment(FrameLimit.FRAGMENT_BYTES);
    }
    return c.connect(TcpClientTransport.create(tcp, limit.transportFrameLength()));
  }
}

package dev.raftflow.transport.rsocket;

import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The settings every RSocket peer transport shares (where it listens, its peers, security, frame and
 * queue bounds, redial and keep-alive timing), set through {@link RSocketTransport.Builder} or
 * {@link RSocketHostTransport.Builder}. Not thread-safe.
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class LinkBuilder<B extends LinkBuilder<B>> {
  String clusterId = "raftflow";
  String host = "127.0.0.1";
  int port;
  final Map<String, InetSocketAddress> peers = new LinkedHashMap<>();
  byte[] secret;
  SslContext serverSsl;
  SslContext clientSsl;
  int maxFrameBytes = FrameLimit.UNFRAGMENTED_LIMIT;
  long maxQueuedBytes = 8L << 20;
  int maxQueuedMessages;
  int inboundWindow = 32;
  int maxBatchBytes = 64 * 1024;
  int maxBatchMessages = 256;
  Duration backoffMin = Duration.ofMillis(50);
  Duration backoffMax = Duration.ofMillis(500);
  Duration keepAliveInterval = Duration.ofSeconds(1);
  Duration keepAliveMaxLifetime = Duration.ofSeconds(3);
  Duration connectTimeout = Duration.ofSeconds(2);
  InetSocketAddress advertise;

  LinkBuilder(int maxQueuedMessages) {
    this.maxQueuedMessages = maxQueuedMessages;
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  /** Identifies the Raft cluster; peers of another cluster are refused. Default "raftflow". */
  public B clusterId(String v) {
    this.clusterId = Objects.requireNonNull(v);
    return self();
  }

  /** Where to listen. Default 127.0.0.1 and port 0 (ephemeral). */
  public B bind(String host, int port) {
    this.host = Objects.requireNonNull(host);
    this.port = port;
    return self();
  }

  /** A peer and where it listens ({@code null}: set later with the transport's {@code peerAddress}). */
  public B peer(String id, InetSocketAddress address) {
    peers.put(Objects.requireNonNull(id), address);
    return self();
  }

  /** Peers whose addresses will be set later with the transport's {@code peerAddress}. */
  public B peers(List<String> ids) {
    for (String id : ids) {
      peers.putIfAbsent(id, null);
    }
    return self();
  }

  /** A shared secret every member must prove at connection setup (HMAC-SHA256), at least 16 bytes. */
  public B sharedSecret(byte[] v) {
    this.secret = v == null ? null : v.clone();
    return self();
  }

  /** Enables TLS: {@code server} for accepted connections, {@code client} for dialed ones. */
  public B tls(SslContext server, SslContext client) {
    if (!server.isServer() || !client.isClient()) {
      throw new IllegalArgumentException("tls(server, client) needs a server and a client SslContext");
    }
    this.serverSsl = server;
    this.clientSsl = client;
    return self();
  }

  /**
   * Largest frame sent or accepted; the transport's {@code maxMessageBytes()} is this less its
   * framing. A larger message is dropped with a warning and counted, never split, so the node's
   * options must fit it ({@code MessageSizes.requireFit}). Default ~16 MiB, the most an RSocket frame
   * holds whole; above that RSocket fragments frames into 1 MiB pieces, so a service that sends a
   * whole snapshot in one message sets this above its largest snapshot.
   */
  public B maxFrameBytes(int v) {
    this.maxFrameBytes = v;
    return self();
  }

  /** Bound of each peer's outbound queue, in frame bytes and in messages. */
  public B maxQueued(long bytes, int messages) {
    this.maxQueuedBytes = bytes;
    this.maxQueuedMessages = messages;
    return self();
  }

  /**
   * Batching of queued messages into one frame: at most {@code bytes} per frame (capped by the frame
   * cap) and {@code messages} per frame; {@code messages = 1} turns batching off. A message larger
   * than {@code bytes} still travels alone. Default 64 KiB and 256.
   */
  public B maxBatch(int bytes, int messages) {
    this.maxBatchBytes = bytes;
    this.maxBatchMessages = messages;
    return self();
  }

  /** RSocket credit granted to each peer's channel, in frames (a frame is one message or one batch). Default 32. */
  public B inboundWindow(int v) {
    this.inboundWindow = v;
    return self();
  }

  /**
   * Redial backoff: first delay and cap (doubling, with jitter). Default 50 ms .. 500 ms. A peer that
   * dials this one ends a backoff toward it at once.
   */
  public B backoff(Duration min, Duration max) {
    this.backoffMin = min;
    this.backoffMax = max;
    return self();
  }

  /**
   * RSocket keep-alive of the connections this one dials: a KEEPALIVE every {@code interval}; a peer
   * that answers none for {@code maxLifetime} is disconnected, so a dead host or a silent
   * (blackholed) network is noticed within {@code maxLifetime} plus one interval, and the link then
   * redials with the backoff: once the network heals it is back within the backoff cap, instead of
   * waiting for TCP's retransmission timer. Default 1 s / 3 s.
   *
   * @throws IllegalArgumentException unless {@code 0 < interval < maxLifetime}
   */
  public B keepAlive(Duration interval, Duration maxLifetime) {
    if (interval.isNegative() || interval.isZero() || maxLifetime.compareTo(interval) <= 0) {
      throw new IllegalArgumentException("keepAlive needs 0 < interval < maxLifetime, was " + interval + " and "
          + maxLifetime);
    }
    this.keepAliveInterval = interval;
    this.keepAliveMaxLifetime = maxLifetime;
    return self();
  }

  /** How long a dial may take before it counts as failed. Default 2 s. */
  public B connectTimeout(Duration v) {
    this.connectTimeout = Objects.requireNonNull(v);
    return self();
  }

  /** Checks the shared settings; {@code what} names the concrete builder's extra rules' failures. */
  void validateShared() {
    check("maxFrameBytes", maxFrameBytes >= 256);
    check("maxQueuedBytes", maxQueuedBytes >= maxFrameBytes || maxQueuedBytes >= 1024);
    check("maxQueuedMessages", maxQueuedMessages > 0);
    check("inboundWindow", inboundWindow > 0);
    check("maxBatch", maxBatchBytes >= 64 && maxBatchMessages >= 1);
    check("backoff", !backoffMin.isNegative() && !backoffMin.isZero() && backoffMax.compareTo(backoffMin) >= 0);
    if (secret != null && secret.length < 16) {
      throw new IllegalArgumentException("sharedSecret must be at least 16 bytes");
    }
  }

  /** Whether {@code id} fits a setup frame: 1 to 255 UTF-8 bytes. */
  static boolean validId(String id) {
    return id != null && !id.isEmpty() && id.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 255;
  }

  static void check(String name, boolean ok) {
    if (!ok) {
      throw new IllegalArgumentException("invalid " + name);
    }
  }
}

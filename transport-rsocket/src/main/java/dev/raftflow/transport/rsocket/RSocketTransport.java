package dev.raftflow.transport.rsocket;

import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.spi.Transport;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.rsocket.ConnectionSetupPayload;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.exceptions.RejectedSetupException;
import io.rsocket.transport.netty.server.CloseableChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;

/**
 * The engine's {@link Transport} over RSocket on Reactor Netty TCP: one connection and one
 * credit-paced request-channel per ordered pair of members (the dialer's messages flow to the
 * acceptor). The design, its memory bounds and the security model are in {@code
 * docs/transport-rsocket.md}. What it promises:
 *
 * <ul>
 *   <li><b>Never blocks, never throws on send:</b> a message for a lost, removed or unknown peer, one
 *       over {@link #maxMessageBytes()} (never split), or one that does not fit the peer's bounded
 *       queue is dropped and counted in {@link TransportMetrics}.
 *   <li><b>Bounded memory:</b> per peer, the outbound queue bound plus one credit window; inbound,
 *       {@code inboundWindow} frames and at most {@code inboundBufferCapacity} messages beyond the
 *       node's demand.
 *   <li><b>Identity:</b> an accepted connection's SETUP ({@link SetupFrame}: cluster id, node ids,
 *       optional HMAC with the shared secret) is checked once; a wrong cluster, an unknown or own id,
 *       a wrong target or a bad proof is refused and logged, and the others keep being served. TLS is
 *       optional. With {@link Builder#acceptUnknownPeers(boolean)} a dialer that is not yet a peer is
 *       accepted, and learned with its advertised address; an id given to {@link #removePeer} stays
 *       refused until added again.
 *   <li><b>Peer set:</b> {@link #addPeer} and {@link #removePeer} change it at runtime; removal closes
 *       both directions and discards the outbound queue.
 *   <li><b>Life cycle:</b> peers are dialed lazily and redialed with capped exponential backoff;
 *       {@link #close()} closes every connection and the listening socket and releases every Netty
 *       buffer it holds; {@link #isolate(boolean)} cuts all connections until lifted.
 * </ul>
 *
 * <p>Threading: {@link #send} is meant for the node's event loop; everything else is thread-safe.
 */
public final class RSocketTransport implements Transport {

  private static final Logger log = LoggerFactory.getLogger(RSocketTransport.class);

  private final String clusterId;
  private final String nodeId;
  private final Optional<byte[]> secret;
  private final SslContext serverSsl;
  private final FrameLimit limit;
  private final LinkSettings linkSettings;
  private final PeerDialer dialer;
  private final LinkHost linkHost = new Links();
  private final int inboundWindow;
  private final int inboundBufferCapacity;
  private final boolean acceptUnknownPeers;
  private final InetSocketAddress advertise;

  /** Where peers listen. Changed only under this object's monitor. */
  private final AddressBook addresses = new AddressBook();
  /** The current peers; changed only under this object's monitor, read without it. */
  private final Map<String, PeerLink> links = new ConcurrentHashMap<>();
  private final Map<String, InboundChannel> channels = new ConcurrentHashMap<>();
  /** Ids removed and not added again: refused even with {@code acceptUnknownPeers}. Changed under the monitor. */
  private final Set<String> removed = ConcurrentHashMap.newKeySet();
  private final Set<Connection> acceptedConnections = ConcurrentHashMap.newKeySet();
  private final InboundBuffer inbound;
  private final Flux<Message> inboundFlux;
  private volatile CloseableChannel server;
  private volatile boolean isolated;
  private volatile Set<String> blocked = Set.of();
  private volatile String lastRefusal;
  /** What this transport speaks (normally {@link WireVersions#THIS_BUILD}). */
  private final WireVersions.Range wireVersions;
  /** Peer id -> the version agreed when it last dialed in: what may be sent to it (1 until then). */
  private final Map<String, Integer> peerVersions = new ConcurrentHashMap<>();
  /** Peers told once that a message of a newer version was not sent to them. */
  private final Set<String> warnedOldPeers = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final reactor.core.publisher.Sinks.Empty<Void> terminated = reactor.core.publisher.Sinks.empty();

  private final TransportCounters counters = new TransportCounters();

  private RSocketTransport(Builder b) {
    this.clusterId = b.clusterId;
    this.nodeId = b.nodeId;
    this.secret = Optional.ofNullable(b.secret);
    this.serverSsl = b.serverSsl;
    this.limit = new FrameLimit(b.maxFrameBytes);
    this.linkSettings = new LinkSettings(b.nodeId, b.maxQueuedBytes, b.maxQueuedMessages,
        Math.min(b.maxBatchBytes, b.maxFrameBytes), b.maxBatchMessages, b.backoffMin, b.backoffMax,
        Math.max(b.backoffMax.toNanos(), Duration.ofSeconds(1).toNanos()), ByteBufAllocator.DEFAULT);
    this.dialer = new PeerDialer(b.clusterId, b.nodeId, secret, b.clientSsl, b.connectTimeout, b.keepAliveInterval,
        b.keepAliveMaxLifetime, limit, b.wireVersions);
    this.wireVersions = b.wireVersions;
    this.inboundWindow = b.inboundWindow;
    this.inboundBufferCapacity = b.inboundBufferCapacity;
    this.acceptUnknownPeers = b.acceptUnknownPeers;
    this.advertise = b.advertise;
    for (Map.Entry<String, InetSocketAddress> e : b.peers.entrySet()) {
      links.put(e.getKey(), new PeerLink(linkHost, e.getKey()));
      if (e.getValue() != null) {
        addresses.give(e.getKey(), e.getValue());
      }
    }
    this.inbound = new InboundBuffer(inboundCapacity());
    this.inboundFlux = Flux.from(inbound);
  }

  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------- Transport

  @Override
  public void send(Message message) {
    try {
      PeerLink link = links.get(message.to());
      if (link == null) {
        counters.droppedUnreachable.increment();
        log.debug("{}: dropped {} for '{}', not a peer", nodeId, message.getClass().getSimpleName(), message.to());
        return;
      }
      if (isolated || closed.get() || blocked.contains(message.to())) {
        counters.droppedUnreachable.increment();
        return;
      }
      int version = peerVersions.getOrDefault(message.to(), WireVersions.OLDEST);
      if (!WireVersions.carries(version, message)) {
        counters.droppedUnreachable.increment();
        if (warnedOldPeers.add(message.to())) {
          log.warn("{}: not sending {} to '{}': it speaks wire version {} (or has not dialed in yet), the message "
              + "needs version {} (follower reads need 2; quiet groups need a host transport, 3) "
              + "(docs/compatibility.md)", nodeId, message.getClass().getSimpleName(), message.to(), version,
              WireVersions.needed(message));
        }
        return;
      }
      int size = WireFormat.frameSize(message);
      if (size > limit.maxFrameBytes()) {
        counters.droppedOversize.increment();
        log.warn("{}: dropped {} for '{}': its {} bytes exceed maxMessageBytes {} (frame cap {}); the node's"
            + " RaftOptions do not fit this transport: lower maxBytesPerMessage, snapshotChunkBytes or"
            + " maxCommandBytes, or raise maxFrameBytes", nodeId, message.getClass().getSimpleName(), message.to(),
            size - WireFormat.HEADER_BYTES, limit.maxMessageBytes(), limit.maxFrameBytes());
        return;
      }
      link.send(message, size);
    } catch (RuntimeException e) {
      counters.droppedOversize.increment();
      log.warn("{}: dropped unencodable {}: {}", nodeId, message.getClass().getSimpleName(), e.toString());
    }
  }

  /**
   * The frame cap ({@link Builder#maxFrameBytes}) less this transport's 2-byte framing: the largest
   * encoded message sent whole. A larger one is dropped and counted, never split.
   */
  @Override
  public int maxMessageBytes() {
    return limit.maxMessageBytes();
  }

  @Override
  public Flux<Message> inbound() {
    return inboundFlux;
  }

  /**
   * Closes every connection, the listening socket and the inbound stream (it completes). Waits up to
   * 5 s for the port to be released unless called from a non-blocking thread. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (PeerLink l : links.values()) {
      l.disconnect(true);
    }
    for (InboundChannel c : channels.values()) {
      c.stop();
    }
    channels.clear();
    for (Connection c : acceptedConnections) {
      c.dispose();
    }
    CloseableChannel s = server;
    if (s == null) {
      terminated.tryEmitEmpty();
    } else {
      s.onClose().subscribe(null, e -> terminated.tryEmitEmpty(), terminated::tryEmitEmpty);
      s.dispose();
      if (!Schedulers.isInNonBlockingThread()) {
        try {
          s.onClose().block(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
          log.warn("{}: listening socket did not close in time: {}", nodeId, e.toString());
        }
      }
    }
    inbound.complete();
    log.debug("{}: transport closed", nodeId);
  }

  // ---------------------------------------------------------------- public extras

  /** Completes once {@link #close()} has released the listening socket (its port is free). */
  public Mono<Void> onClose() {
    return terminated.asMono();
  }

  public String nodeId() {
    return nodeId;
  }

  public String clusterId() {
    return clusterId;
  }

  /** The address actually bound (the ephemeral port when bound to port 0). */
  public InetSocketAddress localAddress() {
    return server.address();
  }

  /** Sets or changes where {@code peerId} listens; the next dial uses it. */
  public synchronized void peerAddress(String peerId, InetSocketAddress address) {
    if (!links.containsKey(peerId)) {
      throw new IllegalArgumentException("'" + peerId + "' is not a peer of " + nodeId);
    }
    addresses.give(peerId, Objects.requireNonNull(address, "address"));
  }

  /**
   * Makes {@code id} a peer: sends to it dial it (once its address is known) and its connections
   * are accepted. For an existing peer this only sets the address. {@code address} may be null (not
   * known yet: set it later with {@link #peerAddress}); null leaves a known address as it is.
   *
   * @throws IllegalArgumentException for this node's own id or an id that is empty or longer than
   *     255 UTF-8 bytes
   */
  public synchronized void addPeer(String id, InetSocketAddress address) {
    if (nodeId.equals(id) || !Builder.validId(id)) {
      throw new IllegalArgumentException("'" + id + "' cannot be a peer of " + nodeId);
    }
    if (address != null) {
      addresses.give(id, address);
    }
    removed.remove(id);
    if (links.putIfAbsent(id, new PeerLink(linkHost, id)) == null) {
      inbound.capacity(inboundCapacity());
      log.info("{}: peer '{}' added", nodeId, id);
    }
  }

  /**
   * Stops treating {@code id} as a peer: closes the connections to and from it and discards its
   * outbound queue; from then on, until {@link #addPeer}, its connections are refused (even with
   * {@code acceptUnknownPeers}) and sends to it are dropped and counted ({@link
   * TransportMetrics#droppedUnreachable}). For an id that is not a peer this is a no-op, except
   * that with {@code acceptUnknownPeers} its connection is closed and it is refused likewise.
   */
  public synchronized void removePeer(String id) {
    PeerLink l = links.remove(id);
    if (l == null && !acceptUnknownPeers) {
      return;
    }
    if (acceptUnknownPeers) {
      removed.add(id);
    }
    addresses.forget(id);
    if (l != null) {
      l.disconnect(true);
    }
    InboundChannel c = channels.remove(id);
    if (c != null) {
      c.stop();
      c.closeConnection();
    }
    if (l != null) {
      inbound.capacity(inboundCapacity());
      log.info("{}: peer '{}' removed", nodeId, id);
    } else {
      log.info("{}: '{}' (not a peer) removed: refused until added", nodeId, id);
    }
  }

  /** The current peers' ids (a copy). */
  public Set<String> peers() {
    return Set.copyOf(links.keySet());
  }

  /**
   * The socket-level switch: {@code true} closes every inbound and outbound connection, refuses new
   * inbound ones (at RSocket setup, with a logged reason, then the connection is closed) and drops
   * outbound sends; {@code false} lifts it (peers are redialed on the next send, without backoff;
   * peers redial us within their backoff cap).
   */
  public synchronized void isolate(boolean on) {
    if (on == isolated) {
      return;
    }
    isolated = on;
    if (on) {
      for (PeerLink l : links.values()) {
        l.disconnect(false); // back to IDLE: no backoff to wait out once lifted
      }
      for (InboundChannel c : channels.values()) {
        c.stop();
        c.closeConnection();
      }
      for (Connection c : acceptedConnections) {
        c.dispose();
      }
      log.info("{}: isolated: all connections closed, new ones refused", nodeId);
    } else {
      log.info("{}: isolation lifted", nodeId);
    }
  }

  public boolean isIsolated() {
    return isolated;
  }

  /**
   * A per-peer socket-level switch: closes the connections to and from every peer in {@code
   * peers}, refuses their new connections at setup and drops sends to them, until the set is
   * changed (an empty set lifts it). Lets a test split a cluster into partitions.
   */
  public synchronized void block(Set<String> peers) {
    Set<String> now = Set.copyOf(peers);
    Set<String> before = blocked;
    blocked = now;
    for (String p : now) {
      if (before.contains(p)) {
        continue;
      }
      PeerLink l = links.get(p);
      if (l != null) {
        l.disconnect(false); // back to IDLE: redialed on the first send once unblocked
      }
      InboundChannel c = channels.get(p);
      if (c != null) {
        c.stop();
        c.closeConnection();
      }
    }
  }

  /** A snapshot of the counters and gauges. */
  public TransportMetrics metrics() {
    long qb = 0;
    long qm = 0;
    for (PeerLink l : links.values()) {
      qb += l.queuedBytes.get();
      qm += l.queuedMessages.get();
    }
    TransportCounters c = counters;
    return new TransportMetrics(c.sentMessages.sum(), c.sentFrames.sum(), c.sentBytes.sum(), inbound.accepted.sum(),
        c.droppedQueueFull.sum(), c.droppedUnreachable.sum(), c.droppedOversize.sum(), inbound.dropped.sum(),
        c.rejectedFrames.sum(), c.refusedConnections.sum(), c.connects.sum(), c.connectFailures.sum(), qb, qm,
        inbound.size());
  }

  /** The reason {@code peerId} gave when it last refused this node's connection, or null. */
  String refusalBy(String peerId) {
    PeerLink l = links.get(peerId);
    return l == null ? null : l.lastRefusal();
  }

  /** The reason given for the most recent refused connection, or null. */
  public String lastRefusal() {
    return lastRefusal;
  }

  /** Frame bytes waiting in the outbound queue towards {@code peerId}. */
  public long queuedBytes(String peerId) {
    PeerLink l = links.get(peerId);
    return l == null ? 0 : l.queuedBytes.get();
  }

  /** Messages waiting in the outbound queue towards {@code peerId}. */
  public int queuedMessages(String peerId) {
    PeerLink l = links.get(peerId);
    return l == null ? 0 : l.queuedMessages.get();
  }

  /** RSocket credit {@code peerId} has granted and this node has not used yet. */
  public long credit(String peerId) {
    PeerLink l = links.get(peerId);
    return l == null ? 0 : l.credit();
  }

  /** Inbound TCP connections currently open (including ones still before setup). */
  int acceptedConnectionCount() {
    return acceptedConnections.size();
  }

  /** Whether an outbound connection to {@code peerId} is up. */
  public boolean isConnected(String peerId) {
    PeerLink l = links.get(peerId);
    return l != null && l.state() == PeerLink.State.CONNECTED;
  }

  // ---------------------------------------------------------------- internals

  /** What the peer links see of this transport. */
  private final class Links implements LinkHost {
    @Override
    public LinkSettings settings() {
      return linkSettings;
    }

    @Override
    public TransportCounters counters() {
      return counters;
    }

    @Override
    public InetSocketAddress addressOf(String peerId) {
      return addresses.get(peerId);
    }

    @Override
    public Mono<RSocket> dial(String peerId, InetSocketAddress address, Consumer<Executor> onChannel) {
      return dialer.dial(peerId, address, advertisedAddress(), onChannel);
    }

    @Override
    public boolean mayConnect(String peerId) {
      return !closed.get() && !isolated && !blocked.contains(peerId);
    }
  }

  /** What this node's setup frames advertise: as configured, else the bound address unless a wildcard. */
  private Optional<InetSocketAddress> advertisedAddress() {
    if (advertise != null) {
      return Optional.of(advertise);
    }
    CloseableChannel s = server;
    InetSocketAddress bound = s == null ? null : s.address();
    return bound == null || bound.getAddress() == null || bound.getAddress().isAnyLocalAddress()
        ? Optional.empty() : Optional.of(bound);
  }

  /**
   * With {@code acceptUnknownPeers}, takes {@code id}'s advertised address (see the class
   * Javadoc). Under the monitor, so a concurrent {@link #removePeer} is not undone.
   */
  private synchronized void learnAddress(String id, InetSocketAddress advertised) {
    if (!acceptUnknownPeers || closed.get() || removed.contains(id) || blocked.contains(id)) {
      return;
    }
    if (!links.containsKey(id)) {
      addresses.advertised(id, advertised); // before the link exists, so its first send can dial
      addPeer(id, null);
      log.info("{}: '{}' dialed in advertising {}: added as a peer", nodeId, id, advertised);
      return;
    }
    switch (addresses.advertised(id, advertised)) {
      case TAKEN -> log.info("{}: peer '{}' is at {} (advertised)", nodeId, id, advertised);
      case KEPT_GIVEN -> log.debug("{}: peer '{}' advertises {}, keeping the configured {}", nodeId, id, advertised,
          addresses.get(id));
      case UNCHANGED -> { }
    }
  }

  /** The inbound buffer's cap: as configured, else 2 × peers × window × batch (at most 2^20). */
  private int inboundCapacity() {
    if (inboundBufferCapacity > 0) {
      return inboundBufferCapacity;
    }
    return (int) Math.min(1 << 20, 2L * Math.max(1, links.size()) * inboundWindow * Math.max(1, linkSettings.maxBatchMessages()));
  }

  private Mono<RSocketTransport> bind(String host, int port) {
    return PeerServer.bind(host, port, serverSsl, limit, this::accept, acceptedConnections)
        .map(ch -> {
          server = ch;
          log.info("{}: listening on {}{}", nodeId, ch.address(), serverSsl != null ? " (TLS)" : "");
          return this;
        });
  }

  /** The acceptor: checks the dialer's identity, then serves its request-channel. */
  private Mono<RSocket> accept(ConnectionSetupPayload setup, RSocket sendingSocket) {
    SetupFrame f = null;
    String reason = null;
    if (closed.get() || isolated) {
      reason = "node is " + (closed.get() ? "closed" : "isolated");
    } else if (!SetupFrame.MIME_TYPE.equals(setup.dataMimeType())) {
      reason = "not a raftflow peer (data MIME type '" + setup.dataMimeType() + "')";
    } else {
      try {
        f = SetupFrame.decode(setup.getData());
        reason = refusal(f);
        if (reason == null) {
          WireVersions.Range theirs = WireVersions.decode(setup.hasMetadata() ? setup.getMetadata() : null);
          Optional<Integer> agreed = wireVersions.agree(theirs);
          if (agreed.isEmpty()) {
            reason = "node '" + f.from() + "' speaks wire version " + theirs + ", this node speaks " + wireVersions
                + ": no version in common; upgrade the older one (docs/compatibility.md)";
          } else {
            peerVersions.put(f.from(), agreed.get());
            if (agreed.get() >= 2) {
              warnedOldPeers.remove(f.from());
            }
          }
        }
      } catch (IllegalArgumentException e) {
        reason = "unreadable setup frame: " + e.getMessage();
      }
    }
    String claimed = f == null ? "?" : f.from();
    if (reason != null) {
      counters.refusedConnections.increment();
      lastRefusal = reason;
      log.warn("{}: refused a connection from '{}': {}", nodeId, claimed, reason);
      return Mono.error(new RejectedSetupException(reason));
    }
    log.debug("{}: accepted connection from '{}'", nodeId, claimed);
    f.advertised().ifPresent(a -> learnAddress(claimed, a));
    PeerLink back = links.get(claimed);
    if (back != null) {
      back.peerReachable(); // it reaches us: dial it back now rather than when a backoff expires
    }
    return Mono.just(new Responder(claimed, sendingSocket));
  }

  /** Why {@code f} is refused, or null when it may connect. */
  private String refusal(SetupFrame f) {
    if (!clusterId.equals(f.clusterId())) {
      return "node '" + f.from() + "' belongs to cluster '" + f.clusterId() + "', this is '" + clusterId + "'";
    }
    if (!nodeId.equals(f.to())) {
      return "node '" + f.from() + "' dialed '" + f.to() + "' but reached '" + nodeId + "'";
    }
    if (nodeId.equals(f.from())) {
      return "node id '" + f.from() + "' is this node's own";
    }
    if (!mayFeed(f.from())) {
      return removed.contains(f.from()) ? "node '" + f.from() + "' was removed" : "unknown node id '" + f.from() + "'";
    }
    if (blocked.contains(f.from())) {
      return "node '" + f.from() + "' is blocked (partitioned away)";
    }
    if (secret.isPresent()) {
      return f.verify(secret.get(), System.currentTimeMillis()).orElse(null);
    }
    return null;
  }

  /** Whether {@code id}'s messages may be delivered: a peer, or (with the option) a stranger not removed. */
  private boolean mayFeed(String id) {
    return links.containsKey(id) || (acceptUnknownPeers && !removed.contains(id));
  }

  private void channelEnded(InboundChannel c) {
    channels.remove(c.peerId(), c);
  }

  /**
   * Makes {@code ch} its peer's current inbound channel (the newest channel wins) unless that peer
   * may no longer feed this node: the transport closed or was isolated, or the peer was blocked or
   * removed since its connection was accepted (see {@link #mayFeed}). Under the monitor, so {@link
   * #removePeer} and {@link #block} either see the channel or are seen by this check.
   */
  private synchronized boolean register(InboundChannel ch) {
    String peer = ch.peerId();
    if (closed.get() || isolated || blocked.contains(peer) || !mayFeed(peer)) {
      return false;
    }
    InboundChannel previous = channels.put(peer, ch);
    if (previous != null) {
      previous.stop(); // the peer redialed: credit stays bounded
    }
    return true;
  }

  /** Serves one accepted connection: only request-channel is offered. */
  private final class Responder implements RSocket {
    private final String peerId;
    private final RSocket connection;

    Responder(String peerId, RSocket connection) {
      this.peerId = peerId;
      this.connection = connection;
    }

    @Override
    public Flux<Payload> requestChannel(Publisher<Payload> payloads) {
      InboundChannel ch = new InboundChannel(nodeId, inbound, counters, RSocketTransport.this::channelEnded, peerId,
          connection, inboundWindow);
      if (!register(ch)) {
        ch.stop();
        ch.closeConnection();
      }
      payloads.subscribe(ch);
      return ch.ended.asMono().thenMany(Flux.empty());
    }
  }

  /** Configures and binds an {@link RSocketTransport}. */
  public static final class Builder extends LinkBuilder<Builder> {
    private String nodeId;
    private int inboundBufferCapacity;
    private boolean acceptUnknownPeers;
    private WireVersions.Range wireVersions = WireVersions.THIS_BUILD;

    private Builder() {
      super(4096);
    }

    /** This member's node id. Required. */
    public Builder nodeId(String v) {
      this.nodeId = Objects.requireNonNull(v);
      return this;
    }

    /** Hard cap of the inbound buffer (default 2 × peers × window × batch messages, following the current peers). */
    public Builder inboundBufferCapacity(int v) {
      this.inboundBufferCapacity = v;
      return this;
    }

    /**
     * The wire versions this transport speaks (default: all this build speaks, {@link
     * WireVersions#THIS_BUILD}). Narrower ranges stand in for older or newer builds in upgrade tests.
     */
    public Builder wireVersions(int min, int max) {
      this.wireVersions = new WireVersions.Range(min, max);
      return this;
    }

    /**
     * Whether to accept connections from node ids that are not peers (cluster id, target, shared
     * secret and blocks are still checked; this node's own id and ids given to {@link
     * RSocketTransport#removePeer} are still refused) and deliver their messages. Sends to such
     * an id are dropped until it is added as a peer. Default false: only peers are accepted.
     */
    public Builder acceptUnknownPeers(boolean v) {
      this.acceptUnknownPeers = v;
      return this;
    }

    /**
     * The address this node's setup frames advertise as where it listens for peers (used by
     * acceptors with {@link #acceptUnknownPeers}). Default: the bound address, or none when bound to
     * a wildcard (0.0.0.0, ::); set it there, or behind NAT, to an address peers can dial.
     */
    public Builder advertise(InetSocketAddress v) {
      if (v.getHostString().isEmpty() || v.getPort() <= 0 || !validId(v.getHostString())) {
        throw new IllegalArgumentException("cannot advertise " + v);
      }
      this.advertise = v;
      return this;
    }

    /** Validates, binds the listening socket and returns the transport (async). */
    public Mono<RSocketTransport> bind() {
      return Mono.defer(() -> {
        validate();
        RSocketTransport t = new RSocketTransport(this);
        return t.bind(host, port);
      });
    }

    /** {@link #bind()} and wait (at most 10 s). */
    public RSocketTransport start() {
      return bind().block(Duration.ofSeconds(10));
    }

    private void validate() {
      if (nodeId == null || nodeId.isEmpty()) {
        throw new IllegalArgumentException("nodeId is required");
      }
      if (peers.containsKey(nodeId)) {
        peers.remove(nodeId); // members lists usually include self
      }
      validateShared();
      List<String> bad = new ArrayList<>();
      for (String id : peers.keySet()) {
        if (!validId(id)) {
          bad.add(id);
        }
      }
      check("peer ids " + bad, bad.isEmpty());
    }
  }
}

package dev.raftflow.transport.rsocket;

import dev.raftflow.engine.codec.MessageCodec;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.spi.HostTransport;
import dev.raftflow.engine.spi.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.rsocket.ConnectionSetupPayload;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.exceptions.RejectedSetupException;
import io.rsocket.transport.netty.server.CloseableChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;

/**
 * The {@link HostTransport} over RSocket: one process's endpoint shared by all the Raft groups it
 * hosts. Towards each peer host there is one connection (this host dials it; the peer's messages
 * come back over the connection it dials), carrying the messages of every group in the group-tagged
 * frames of wire version 3 ({@code GroupFrames}): what is queued for one peer host, of any groups,
 * leaves as one frame that names each of its groups once. What it promises:
 *
 * <ul>
 *   <li><b>Per-group isolation:</b> each open group has its own bounded inbound buffer, drained
 *       within its node's demand. A frame's credit returns to the peer as soon as its messages are
 *       in their groups' buffers, so a group that stops requesting fills only its own buffer (then
 *       its messages are dropped and counted: Raft sends them again) and never stops the others.
 *       A message for a group not open here is dropped and counted, with a rate-limited WARN.
 *   <li><b>Never blocks, never throws on send:</b> as {@link RSocketTransport}: a message for an
 *       unknown or unreachable host, over the group's {@code maxMessageBytes()}, or beyond the
 *       peer host's bounded queue is dropped and counted in {@link HostTransportMetrics}.
 *   <li><b>Identity and versions:</b> a dialer's SETUP is checked like {@link RSocketTransport}'s
 *       (cluster, target, known host id, shared secret) and must speak wire version 3; a
 *       single-group transport (versions 1..2) is refused, and the log line names both ranges.
 *   <li><b>Reachability:</b> {@link #reachability} pings each peer host that has been silent for a
 *       ping interval (traffic from it counts as an answer) and reports it down after {@code
 *       downAfter} of silence, up when it is heard again; timers run on Reactor's parallel
 *       scheduler.
 * </ul>
 *
 * <p>Threading: {@link #openGroup}, {@link #close} and the accessors from any thread; each group's
 * {@code send} from its node's loop (several groups may send at once); inbound work runs on Netty's
 * event loops.
 */
public final class RSocketHostTransport implements HostTransport {

  private static final Logger log = LoggerFactory.getLogger(RSocketHostTransport.class);
  private static final InboundBuffer.Source NO_CREDIT = () -> { };
  private static final long UNKNOWN_GROUP_WARN_NANOS = Duration.ofSeconds(5).toNanos();
  /** Most groups counted one by one; beyond, unknown groups count in the totals only. */
  private static final int MAX_COUNTED_GROUPS = 100_000;

  private final String clusterId;
  private final String hostId;
  private final Optional<byte[]> secret;
  private final SslContext serverSsl;
  private final FrameLimit limit;
  private final LinkSettings linkSettings;
  private final PeerDialer dialer;
  private final int inboundWindow;
  private final int groupBufferCapacity;
  private final InetSocketAddress advertise;
  private final LinkHost linkHost = new Links();

  private final AddressBook addresses = new AddressBook();
  private final Map<String, PeerLink> links = new ConcurrentHashMap<>();
  private final Map<String, InboundChannel> channels = new ConcurrentHashMap<>();
  private final Set<Connection> acceptedConnections = ConcurrentHashMap.newKeySet();
  private final Map<String, GroupTransport> groups = new ConcurrentHashMap<>();
  private final Map<String, GroupCounters> groupCounters = new ConcurrentHashMap<>();

  private final TransportCounters counters = new TransportCounters();
  private final LongAdder receivedFrames = new LongAdder();
  private final LongAdder receivedMessages = new LongAdder();
  private final LongAdder droppedUnknownGroup = new LongAdder();
  private final LongAdder droppedGroupBufferFull = new LongAdder();
  private final LongAdder pingsSent = new LongAdder();
  private final AtomicLong nextUnknownGroupWarn = new AtomicLong(System.nanoTime());

  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean reachabilitySubscribed = new AtomicBoolean();
  private volatile ReachabilityWatch watch;
  private volatile FluxSink<HostReachability> reachabilitySink;
  private volatile CloseableChannel server;
  private volatile String lastRefusal;
  private final Sinks.Empty<Void> terminated = Sinks.empty();

  private RSocketHostTransport(Builder b) {
    this.clusterId = b.clusterId;
    this.hostId = b.hostId;
    this.secret = Optional.ofNullable(b.secret);
    this.serverSsl = b.serverSsl;
    this.limit = new FrameLimit(b.maxFrameBytes);
    this.linkSettings = new LinkSettings(b.hostId, b.maxQueuedBytes, b.maxQueuedMessages,
        Math.min(b.maxBatchBytes, b.maxFrameBytes), b.maxBatchMessages, b.backoffMin, b.backoffMax,
        Math.max(b.backoffMax.toNanos(), Duration.ofSeconds(1).toNanos()), ByteBufAllocator.DEFAULT);
    this.dialer = new PeerDialer(b.clusterId, b.hostId, secret, b.clientSsl, b.connectTimeout, b.keepAliveInterval,
        b.keepAliveMaxLifetime, limit, WireVersions.HOSTS);
    this.inboundWindow = b.inboundWindow;
    this.groupBufferCapacity = b.groupBufferCapacity;
    this.advertise = b.advertise;
    for (Map.Entry<String, InetSocketAddress> e : b.peers.entrySet()) {
      links.put(e.getKey(), new PeerLink(linkHost, e.getKey()));
      if (e.getValue() != null) {
        addresses.give(e.getKey(), e.getValue());
      }
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------- HostTransport

  @Override
  public String hostId() {
    return hostId;
  }

  /**
   * Queues the whole burst, then wakes each peer's connection once: the messages for one peer leave
   * packed into as few frames as the format allows. Transports not opened here are sent one by one.
   */
  @Override
  public void sendBurst(List<Transport> groupTransports, List<Message> messages) {
    List<PeerLink> touched = new ArrayList<>(4);
    for (int i = 0; i < messages.size(); i++) {
      Transport t = groupTransports.get(i);
      if (!(t instanceof GroupTransport g)) {
        t.send(messages.get(i));
        continue;
      }
      PeerLink link = g.queue(messages.get(i), false);
      if (link != null && !touched.contains(link)) {
        touched.add(link);
      }
    }
    for (PeerLink link : touched) {
      link.flush();
    }
  }

  @Override
  public Transport openGroup(String groupId) {
    if (!Builder.validId(groupId)) {
      throw new IllegalArgumentException("group id must be 1 to 255 bytes of UTF-8, was '" + groupId + "'");
    }
    if (closed.get()) {
      throw new IllegalStateException("host transport '" + hostId + "' is closed");
    }
    GroupTransport g = new GroupTransport(groupId, countersOf(groupId, true));
    if (groups.putIfAbsent(groupId, g) != null) {
      throw new IllegalStateException("group '" + groupId + "' is already open on host '" + hostId + "'");
    }
    if (closed.get()) { // closed meanwhile: close() may have missed it
      g.close();
      throw new IllegalStateException("host transport '" + hostId + "' is closed");
    }
    log.debug("{}: group '{}' opened", hostId, groupId);
    return g;
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException unless {@code 0 < pingInterval < downAfter}
   */
  @Override
  public Flux<HostReachability> reachability(Duration pingInterval, Duration downAfter) {
    if (pingInterval.isNegative() || pingInterval.isZero() || downAfter.compareTo(pingInterval) <= 0) {
      throw new IllegalArgumentException("reachability needs 0 < pingInterval < downAfter, was " + pingInterval
          + " and " + downAfter);
    }
    return Flux.defer(() -> {
      if (!reachabilitySubscribed.compareAndSet(false, true)) {
        return Flux.error(new IllegalStateException("reachability() may be subscribed only once"));
      }
      return Flux.<HostReachability>create(sink -> {
        ReachabilityWatch w = new ReachabilityWatch(pingInterval.toNanos(), downAfter.toNanos());
        w.start(System.nanoTime());
        watch = w;
        reachabilitySink = sink;
        Disposable timer = Flux.interval(pingInterval, pingInterval, Schedulers.parallel())
            .subscribe(t -> {
              if (!closed.get()) {
                w.tick(System.nanoTime(), links.keySet(), this::ping, sink::next);
              }
            });
        sink.onDispose(timer);
        if (closed.get()) {
          sink.complete();
        }
      });
    });
  }

  /** Closes every group, every connection and the listening socket (waits up to 5 s off non-blocking threads). */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (GroupTransport g : groups.values()) {
      g.close();
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
    FluxSink<HostReachability> sink = reachabilitySink;
    if (sink != null) {
      sink.complete();
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
          log.warn("{}: listening socket did not close in time: {}", hostId, e.toString());
        }
      }
    }
    log.debug("{}: host transport closed", hostId);
  }

  // ---------------------------------------------------------------- public extras

  /** Completes once {@link #close()} has released the listening socket. */
  public Mono<Void> onClose() {
    return terminated.asMono();
  }

  public String clusterId() {
    return clusterId;
  }

  /** The address actually bound (the ephemeral port when bound to port 0). */
  public InetSocketAddress localAddress() {
    return server.address();
  }

  /** The peer hosts' ids (a copy). */
  public Set<String> peers() {
    return Set.copyOf(links.keySet());
  }

  /** Sets or changes where peer host {@code peerId} listens; the next dial uses it. */
  public void peerAddress(String peerId, InetSocketAddress address) {
    if (!links.containsKey(peerId)) {
      throw new IllegalArgumentException("'" + peerId + "' is not a peer host of " + hostId);
    }
    addresses.give(peerId, Objects.requireNonNull(address, "address"));
  }

  /** Whether the connection this host dialed to {@code peerId} is up. */
  public boolean isConnected(String peerId) {
    PeerLink l = links.get(peerId);
    return l != null && l.state() == PeerLink.State.CONNECTED;
  }

  /** RSocket credit {@code peerId} has granted this host and this host has not used yet. */
  public long credit(String peerId) {
    PeerLink l = links.get(peerId);
    return l == null ? 0 : l.credit();
  }

  /** The groups open here (a copy). */
  public Set<String> openGroups() {
    return Set.copyOf(groups.keySet());
  }

  /** The reason given for the most recent refused connection, or null. */
  public String lastRefusal() {
    return lastRefusal;
  }

  /** The reason {@code peerId} gave when it last refused this host's connection, or null. */
  public String refusalBy(String peerId) {
    PeerLink l = links.get(peerId);
    return l == null ? null : l.lastRefusal();
  }

  /** A snapshot of the counters and gauges. */
  public HostTransportMetrics metrics() {
    long qm = 0;
    for (PeerLink l : links.values()) {
      qm += l.queuedMessages.get();
    }
    TransportCounters c = counters;
    return new HostTransportMetrics(c.sentFrames.sum(), c.sentMessages.sum(), c.sentBytes.sum(), receivedFrames.sum(),
        receivedMessages.sum(), droppedUnknownGroup.sum(), droppedGroupBufferFull.sum(), c.droppedQueueFull.sum(),
        c.droppedUnreachable.sum(), c.droppedOversize.sum(), c.rejectedFrames.sum(), c.refusedConnections.sum(),
        pingsSent.sum(), groups.size(), qm);
  }

  /** {@code groupId}'s inbound counters here (zeros for a group never seen). */
  public HostTransportMetrics.Group groupMetrics(String groupId) {
    GroupCounters g = groupCounters.get(groupId);
    return g == null ? new HostTransportMetrics.Group(0, 0, 0)
        : new HostTransportMetrics.Group(g.received.sum(), g.droppedBufferFull.sum(), g.droppedNotOpen.sum());
  }

  // ---------------------------------------------------------------- groups

  /** One group's counters, kept across closing and reopening it. */
  private static final class GroupCounters {
    final LongAdder received = new LongAdder();
    final LongAdder droppedBufferFull = new LongAdder();
    final LongAdder droppedNotOpen = new LongAdder();
  }

  private GroupCounters countersOf(String groupId, boolean open) {
    GroupCounters g = groupCounters.get(groupId);
    if (g == null && (open || groupCounters.size() < MAX_COUNTED_GROUPS)) {
      g = groupCounters.computeIfAbsent(groupId, id -> new GroupCounters());
    }
    return g;
  }

  /**
   * One group's view of the host: sends go to {@code message.to()}'s host tagged with the group;
   * inbound comes from the group's own bounded buffer. {@link #close} closes only this group.
   */
  private final class GroupTransport implements Transport {
    final String groupId;
    final int idBytes;
    final int maxMessageBytes;
    final InboundBuffer buffer = new InboundBuffer(groupBufferCapacity);
    final Flux<Message> inbound = Flux.from(buffer);
    final GroupCounters stats;
    final AtomicBoolean groupClosed = new AtomicBoolean();

    GroupTransport(String groupId, GroupCounters stats) {
      this.groupId = groupId;
      this.idBytes = groupId.getBytes(StandardCharsets.UTF_8).length;
      this.maxMessageBytes = GroupFrames.maxMessageBytes(limit.maxFrameBytes(), idBytes);
      this.stats = stats;
    }

    @Override
    public void send(Message message) {
      queue(message, true);
    }

    /**
     * Queues {@code message} on its peer's link, waking the link's event loop when {@code signal};
     * returns the link, or null when the message was dropped (counted).
     */
    PeerLink queue(Message message, boolean signal) {
      try {
        PeerLink link = links.get(message.to());
        if (link == null || groupClosed.get() || closed.get()) {
          counters.droppedUnreachable.increment();
          return null;
        }
        int codec = MessageCodec.encodedSize(message);
        if (codec > maxMessageBytes) {
          counters.droppedOversize.increment();
          log.warn("{}: group '{}' dropped {} for '{}': its {} bytes exceed maxMessageBytes {}; the node's options"
              + " do not fit this transport", hostId, groupId, message.getClass().getSimpleName(), message.to(), codec,
              maxMessageBytes);
          return null;
        }
        if (signal) {
          link.send(groupId, message, GroupFrames.singleFrameSize(idBytes, codec));
        } else {
          link.sendHeld(groupId, message, GroupFrames.singleFrameSize(idBytes, codec));
        }
        return link;
      } catch (RuntimeException e) {
        counters.droppedOversize.increment();
        log.warn("{}: group '{}' dropped unencodable {}: {}", hostId, groupId, message.getClass().getSimpleName(),
            e.toString());
        return null;
      }
    }

    /** The frame cap less the group-tagged framing of a frame carrying this group's message alone. */
    @Override
    public int maxMessageBytes() {
      return maxMessageBytes;
    }

    /** This group's messages, within its node's demand. Subscribed once; completes when the group closes. */
    @Override
    public Flux<Message> inbound() {
      return inbound;
    }

    /** Closes this group only: its buffer completes, later messages for it are dropped as not open. */
    @Override
    public void close() {
      if (groupClosed.compareAndSet(false, true)) {
        groups.remove(groupId, this);
        buffer.complete();
        log.debug("{}: group '{}' closed", hostId, groupId);
      }
    }

    /** Takes an inbound message into this group's buffer (counted first: the buffer may hand it on at once). */
    void deliver(Message m, String fromHost) {
      stats.received.increment();
      receivedMessages.increment();
      if (!groupClosed.get() && buffer.offer(m, NO_CREDIT)) {
        return;
      }
      stats.received.decrement();
      receivedMessages.decrement();
      if (groupClosed.get()) {
        notOpen(groupId, fromHost);
      } else {
        stats.droppedBufferFull.increment();
        droppedGroupBufferFull.increment();
      }
    }
  }

  private void notOpen(String groupId, String fromHost) {
    GroupCounters g = countersOf(groupId, false);
    if (g != null) {
      g.droppedNotOpen.increment();
    }
    droppedUnknownGroup.increment();
    long next = nextUnknownGroupWarn.get();
    long now = System.nanoTime();
    if (now - next >= 0 && nextUnknownGroupWarn.compareAndSet(next, now + UNKNOWN_GROUP_WARN_NANOS)) {
      log.warn("{}: dropped a message from host '{}' for group '{}': not open here ({} dropped for groups not open"
          + " so far; this is logged at most every {} s)", hostId, fromHost, groupId, droppedUnknownGroup.sum(),
          UNKNOWN_GROUP_WARN_NANOS / 1_000_000_000L);
    }
  }

  // ---------------------------------------------------------------- pings

  private void ping(String peer) {
    PeerLink l = links.get(peer);
    if (l != null) {
      pingsSent.increment();
      l.sendControl(GroupFrames.KIND_PING, GroupFrames.CONTROL_BYTES);
    }
  }

  private void heard(String peer) {
    ReachabilityWatch w = watch;
    if (w != null) {
      w.heard(peer, System.nanoTime());
    }
  }

  // ---------------------------------------------------------------- connections

  /** What the peer links see of this host. */
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
      return !closed.get();
    }

    @Override
    public OutboundFrames frames() {
      return GroupFrames.INSTANCE;
    }
  }

  private Optional<InetSocketAddress> advertisedAddress() {
    if (advertise != null) {
      return Optional.of(advertise);
    }
    CloseableChannel s = server;
    InetSocketAddress bound = s == null ? null : s.address();
    return bound == null || bound.getAddress() == null || bound.getAddress().isAnyLocalAddress()
        ? Optional.empty() : Optional.of(bound);
  }

  private Mono<RSocketHostTransport> bind(String host, int port) {
    return PeerServer.bind(host, port, serverSsl, limit, this::accept, acceptedConnections)
        .map(ch -> {
          server = ch;
          log.info("{}: host transport listening on {}{}", hostId, ch.address(), serverSsl != null ? " (TLS)" : "");
          return this;
        });
  }

  /** The acceptor: checks the dialing host's identity and wire version, then serves its channel. */
  private Mono<RSocket> accept(ConnectionSetupPayload setup, RSocket sendingSocket) {
    SetupFrame f = null;
    String reason;
    if (closed.get()) {
      reason = "host is closed";
    } else if (!SetupFrame.MIME_TYPE.equals(setup.dataMimeType())) {
      reason = "not a raftflow peer (data MIME type '" + setup.dataMimeType() + "')";
    } else {
      try {
        f = SetupFrame.decode(setup.getData());
        reason = refusal(f);
        if (reason == null) {
          WireVersions.Range theirs = WireVersions.decode(setup.hasMetadata() ? setup.getMetadata() : null);
          if (WireVersions.HOSTS.agree(theirs).isEmpty()) {
            reason = "'" + f.from() + "' speaks wire version " + theirs + ", this host speaks " + WireVersions.HOSTS
                + " (the group-tagged format of a multi-group host): no version in common; a single-group"
                + " RSocketTransport cannot talk to a host transport";
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
      log.warn("{}: refused a connection from '{}': {}", hostId, claimed, reason);
      return Mono.error(new RejectedSetupException(reason));
    }
    log.debug("{}: accepted connection from host '{}'", hostId, claimed);
    PeerLink back = links.get(claimed);
    if (back != null) {
      back.peerReachable();
    }
    return Mono.just(new Responder(claimed, sendingSocket));
  }

  private String refusal(SetupFrame f) {
    if (!clusterId.equals(f.clusterId())) {
      return "host '" + f.from() + "' belongs to cluster '" + f.clusterId() + "', this is '" + clusterId + "'";
    }
    if (!hostId.equals(f.to())) {
      return "host '" + f.from() + "' dialed '" + f.to() + "' but reached '" + hostId + "'";
    }
    if (hostId.equals(f.from())) {
      return "host id '" + f.from() + "' is this host's own";
    }
    if (!links.containsKey(f.from())) {
      return "unknown host id '" + f.from() + "'";
    }
    if (secret.isPresent()) {
      return f.verify(secret.get(), System.currentTimeMillis()).orElse(null);
    }
    return null;
  }

  private synchronized boolean register(InboundChannel ch) {
    if (closed.get()) {
      return false;
    }
    InboundChannel previous = channels.put(ch.peerId(), ch);
    if (previous != null) {
      previous.stop(); // the peer redialed: the newest channel wins
    }
    return true;
  }

  private void channelEnded(InboundChannel c) {
    channels.remove(c.peerId(), c);
  }

  /**
   * Hands the frames of one peer host's channel to the groups: messages into their groups' buffers
   * (or dropped and counted), the frame's credit back at once; a ping is answered with a pong.
   */
  private final class GroupDelivery implements InboundChannel.Delivery {
    private final String peer;

    GroupDelivery(String peer) {
      this.peer = peer;
    }

    @Override
    public String deliver(ByteBuf data, InboundChannel ch) {
      GroupFrames.Frame f = GroupFrames.decode(data, peer, hostId);
      switch (f.kind()) {
        case GroupFrames.KIND_HELLO -> {
          if (!f.helloFrom().equals(peer)) {
            return "hello from '" + f.helloFrom() + "' on a connection set up by '" + peer + "'";
          }
        }
        case GroupFrames.KIND_PING -> {
          receivedFrames.increment();
          PeerLink back = links.get(peer);
          if (back != null) {
            back.sendControl(GroupFrames.KIND_PONG, GroupFrames.CONTROL_BYTES);
          }
        }
        case GroupFrames.KIND_PONG -> receivedFrames.increment();
        default -> {
          String wrong = InboundChannel.misaddressed(f.messages(), peer, hostId);
          if (wrong != null) {
            return wrong;
          }
          receivedFrames.increment();
          List<Message> ms = f.messages();
          List<String> gs = f.groups();
          for (int i = 0; i < ms.size(); i++) {
            GroupTransport g = groups.get(gs.get(i));
            if (g == null) {
              notOpen(gs.get(i), peer);
            } else {
              g.deliver(ms.get(i), peer);
            }
          }
        }
      }
      heard(peer);
      ch.consumed();
      return null;
    }
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
      InboundChannel ch = new InboundChannel(hostId, new GroupDelivery(peerId), counters,
          RSocketHostTransport.this::channelEnded, peerId, connection, inboundWindow);
      if (!register(ch)) {
        ch.stop();
        ch.closeConnection();
      }
      payloads.subscribe(ch);
      return ch.ended.asMono().thenMany(Flux.empty());
    }
  }

  // ---------------------------------------------------------------- builder

  /** Configures and binds an {@link RSocketHostTransport}. */
  public static final class Builder extends LinkBuilder<Builder> {
    private String hostId;
    private int groupBufferCapacity = 1024;

    private Builder() {
      super(16384);
    }

    /** This host's id: the member id of every group member it hosts. Required. */
    public Builder hostId(String v) {
      this.hostId = Objects.requireNonNull(v);
      return this;
    }

    /** Messages each open group buffers beyond its node's demand; more are dropped and counted. Default 1024. */
    public Builder groupBufferCapacity(int v) {
      this.groupBufferCapacity = v;
      return this;
    }

    /** The address this host's setup frames advertise (default: the bound one unless a wildcard). */
    public Builder advertise(InetSocketAddress v) {
      this.advertise = Objects.requireNonNull(v);
      return this;
    }

    /** Validates, binds the listening socket and returns the transport (async). */
    public Mono<RSocketHostTransport> bind() {
      return Mono.defer(() -> {
        validate();
        return new RSocketHostTransport(this).bind(host, port);
      });
    }

    /** {@link #bind()} and wait (at most 10 s). */
    public RSocketHostTransport start() {
      return bind().block(Duration.ofSeconds(10));
    }

    private void validate() {
      if (!validId(hostId)) {
        throw new IllegalArgumentException("hostId is required (1 to 255 bytes of UTF-8)");
      }
      peers.remove(hostId);
      validateShared();
      check("groupBufferCapacity", groupBufferCapacity > 0);
      for (String id : peers.keySet()) {
        check("peer host id '" + id + "'", validId(id));
      }
    }
  }
}

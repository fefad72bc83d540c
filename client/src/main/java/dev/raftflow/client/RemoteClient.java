package dev.raftflow.client;

import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.core.RSocketConnector;
import io.rsocket.transport.netty.client.TcpClientTransport;
import io.rsocket.util.DefaultPayload;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;
import reactor.util.retry.Retry;

/**
 * A client of a group's members over the {@link ClientProtocol}: proposes to the member it believes
 * leads and follows redirects. One RSocket connection per member, opened lazily; proposals are
 * pipelined on one request-channel per member. Thread-safe.
 *
 * <p><b>Leader hint.</b> From its first call on, the client watches every member's leader stream
 * (WATCH_LEADER; a stream that ends or fails is opened again after a pause growing to {@value
 * #WATCH_RETRY_MAX_MS} ms, never in a busy loop) and keeps the leader named in the highest term
 * heard, so proposals go to a new leader as soon as any member knows it, without waiting for a
 * timeout or a refusal. A NOT_LEADER or OUTCOME_UNKNOWN answer naming a leader, and a proposal the
 * believed leader leaves unanswered (timed out, cancelled, connection lost), move the hint too, but
 * only while it still points at that member: what a member pushed for a newer term is kept.
 *
 * <p><b>Errors.</b> Every call is a lazy {@link Mono}. A member's refusal fails it with a {@link
 * ClientException}: {@link NotLeaderException} (not taken), {@link OutcomeUnknownException} (taken,
 * may still commit), {@link OverloadedException}, or the base type with the member's message. A
 * connection failure fails it with the transport's exception, a {@link #propose(byte[], Duration)}
 * timeout with {@link TimeoutException}.
 *
 * <p><b>Exactly once.</b> {@link #openSession()} gives a {@link RemoteSession} whose commands the
 * group applies at most once, however often they are retried; it retries them itself across
 * timeouts and leader changes until an answer, a {@link SessionRefusedException} or its call timeout.
 */
public final class RemoteClient implements AutoCloseable {

  /** First pause before a leader stream is opened again after it failed; it doubles up to the max. */
  static final long WATCH_RETRY_MIN_MS = 100;
  static final long WATCH_RETRY_MAX_MS = 2000;
  /** Pause before a leader stream that completed (its member's node stopped) is opened again. */
  static final long WATCH_REOPEN_MS = 200;

  private final Map<String, InetSocketAddress> endpoints;
  /** Member ids in order, for moving the hint to the next one. */
  private final String[] ids;
  private final Map<String, Mono<RSocket>> connections = new ConcurrentHashMap<>();
  private final Map<String, Mono<Channel>> channels = new ConcurrentHashMap<>();
  /** The latest channel opened to each member, for failing its calls when another member leads. */
  private final Map<String, Channel> liveChannels = new ConcurrentHashMap<>();
  private final AtomicReference<Hint> hint;
  /** Leader-stream subscriptions by member; null until the first call (written under this). */
  private volatile Map<String, Disposable> watches;
  private volatile boolean closed;
  /** The group every connection names in its SETUP frame, or null. */
  private final String group;

  /**
   * Where proposals go: {@code leader}, believed to lead {@code term} (the highest heard; -1 before
   * any), {@code pushed} when a member said so for that term (rather than a guess or a redirect).
   */
  private record Hint(long term, String leader, boolean pushed) {}

  /**
   * @param endpoints member id → client endpoint address (not empty)
   * @throws IllegalArgumentException when {@code endpoints} is empty
   */
  public RemoteClient(Map<String, InetSocketAddress> endpoints) {
    this(endpoints, null);
  }

  /**
   * A client of group {@code group} on members that host several groups (multi-raft: {@code node
   * --groups}); every connection names it in its SETUP frame. Null: the members' only group.
   *
   * @param endpoints member id → client endpoint address (not empty)
   * @throws IllegalArgumentException when {@code endpoints} is empty or {@code group} is empty
   */
  public RemoteClient(Map<String, InetSocketAddress> endpoints, String group) {
    if (group != null && group.isEmpty()) {
      throw new IllegalArgumentException("a group name must not be empty");
    }
    this.group = group;
    if (endpoints == null || endpoints.isEmpty()) {
      throw new IllegalArgumentException("a remote client needs at least one endpoint");
    }
    this.endpoints = Map.copyOf(endpoints);
    this.ids = this.endpoints.keySet().toArray(new String[0]);
    Arrays.sort(ids);
    this.hint = new AtomicReference<>(new Hint(-1, endpoints.keySet().iterator().next(), false));
  }

  /** The member proposals currently go to. */
  public String leaderHint() {
    return hint.get().leader();
  }

  /**
   * Proposes to the believed leader; completes when committed and applied there. Waits as long as
   * the member takes (or the connection lasts); see {@link #propose(byte[], Duration)}.
   */
  public Mono<Position> propose(byte[] command) {
    Objects.requireNonNull(command, "command");
    return send(command, null);
  }

  /**
   * Proposes to the believed leader, as {@link #propose(byte[])}, failing with {@link
   * TimeoutException} when no answer came within {@code timeout}. The proposal may still commit
   * then; the client stops waiting for it and sends the next ones to another member (unless a
   * member has meanwhile named a leader).
   *
   * @throws IllegalArgumentException when {@code timeout} is not positive
   */
  public Mono<Position> propose(byte[] command, Duration timeout) {
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("a propose timeout must be positive, was " + timeout);
    }
    return send(command, timeout);
  }

  private Mono<Position> send(byte[] command, Duration timeout) {
    return toLeader(ClientProtocol.OP_PROPOSE, command, timeout).map(b -> new Position(b.getLong(), b.getLong()));
  }

  /**
   * Sends one request to the believed leader and moves the hint on the way the class comment says.
   * Completes with the OK reply's body (after the status byte); fails with the refusal's {@link
   * ClientException}, the transport's exception, or {@link TimeoutException} after {@code timeout}
   * (null: none).
   */
  Mono<ByteBuffer> toLeader(byte op, byte[] body, Duration timeout) {
    return Mono.defer(() -> {
      String target = hint.get().leader();
      // a call the caller gives up on (timeout, cancel) counts as unanswered by the target
      Mono<ByteBuffer> reply = channel(target).flatMap(ch -> ch.call(op, body, () -> moveAwayFrom(target)));
      if (timeout != null) {
        reply = reply.timeout(timeout);
      }
      return reply.flatMap(b -> {
        byte status = b.get();
        if (status == ClientProtocol.OK) {
          return Mono.just(b);
        }
        ClientException refusal = refusal(target, status, b);
        if (refusal instanceof NotLeaderException nl) {
          redirect(target, nl.leaderId());
        } else if (refusal instanceof OutcomeUnknownException ou) {
          redirect(target, ou.leaderId());
        }
        return Mono.error(refusal);
      }).doOnError(e -> {
        if (e instanceof TimeoutException) {
          moveAwayFrom(target);
        } else if (!(e instanceof ClientException)) {
          channels.remove(target);
          moveAwayFrom(target); // connection trouble: try the next member
        }
      });
    });
  }

  // ---------------------------------------------------------------- exactly-once sessions

  /**
   * Opens an exactly-once session on the group (members serving sessions, see {@link
   * ClientProtocol}) with calls of at most 10 s overall and tries of at most 2 s; see {@link
   * #openSession(Duration, Duration)}.
   */
  public Mono<RemoteSession> openSession() {
    return openSession(Duration.ofSeconds(10), Duration.ofSeconds(2));
  }

  /**
   * Opens an exactly-once session: registers it on the leader, retrying across leader changes,
   * within {@code callTimeout}. Each call of the session then gives up after {@code callTimeout},
   * and a single try after {@code tryTimeout} (then it is sent again, to the next believed leader).
   * A registration retried after an unknown outcome may leave an unused session behind; it expires.
   *
   * @throws IllegalArgumentException when a timeout is not positive or {@code tryTimeout} exceeds
   *     {@code callTimeout}
   */
  public Mono<RemoteSession> openSession(Duration callTimeout, Duration tryTimeout) {
    RemoteSession.checkTimeouts(callTimeout, tryTimeout);
    return RemoteSession.retried(toLeader(ClientProtocol.OP_SESSION_REGISTER, new byte[0], tryTimeout), callTimeout)
        .map(b -> new RemoteSession(this, b.getLong(), callTimeout, tryTimeout));
  }

  /** The exception for a reply of {@code status} (not OK) from {@code member}, its body at {@code b}. */
  private static ClientException refusal(String member, byte status, ByteBuffer b) {
    switch (status) {
      case ClientProtocol.NOT_LEADER:
        return new NotLeaderException(member, ClientProtocol.getStr(b));
      case ClientProtocol.OUTCOME_UNKNOWN: {
        String leader = ClientProtocol.getStr(b);
        return new OutcomeUnknownException(member, leader, b.remaining() >= 2 ? ClientProtocol.getStr(b) : null);
      }
      case ClientProtocol.OVERLOADED:
        return new OverloadedException(ClientProtocol.getStr(b));
      case ClientProtocol.SESSION_REFUSED: {
        SessionRefusedException.Reason reason = SessionRefusedException.of(b.get());
        return new SessionRefusedException(member, reason, ClientProtocol.getStr(b));
      }
      default:
        return new ClientException(member + ": " + ClientProtocol.getStr(b));
    }
  }

  // ---------------------------------------------------------------- the leader hint

  /** A member's leader stream said {@code heard}: a newer term wins; in the same term it fills in a guess. */
  private void heard(LeaderHint heard) {
    String leader = heard.leaderId() != null && endpoints.containsKey(heard.leaderId()) ? heard.leaderId() : null;
    Hint before = hint.get();
    Hint after = hint.updateAndGet(h -> {
      if (heard.term() > h.term()) {
        return new Hint(heard.term(), leader != null ? leader : h.leader(), leader != null);
      }
      if (heard.term() == h.term() && leader != null && !h.pushed()) {
        return new Hint(h.term(), leader, true);
      }
      return h;
    });
    boolean newlyPushed = !before.pushed() || before.term() < after.term() || !before.leader().equals(after.leader());
    if (leader != null && after.pushed() && leader.equals(after.leader()) && newlyPushed) {
      failCallsNotAt(leader, after.term());
    }
  }

  /**
   * A member announced {@code leader} for the newer {@code term}: calls still waiting on any other
   * member were made to a leader that is no more; they fail at once as {@link
   * OutcomeUnknownException} naming the new leader (each may still commit), instead of waiting for
   * a timeout, so that callers retry there.
   */
  private void failCallsNotAt(String leader, long term) {
    for (Map.Entry<String, Channel> e : liveChannels.entrySet()) {
      if (!e.getKey().equals(leader)) {
        e.getValue().failPending(() -> new OutcomeUnknownException(e.getKey(), leader,
            leader + " leads the newer term " + term));
      }
    }
  }

  /** {@code from} refused, naming {@code leader} (or null): go there, if the hint still points at {@code from}. */
  private void redirect(String from, String leader) {
    if (leader == null || !endpoints.containsKey(leader) || leader.equals(from)) {
      moveAwayFrom(from);
      return;
    }
    hint.updateAndGet(h -> h.leader().equals(from) ? new Hint(h.term(), leader, false) : h);
  }

  /** {@code from} did not answer: try the next member, if the hint still points at {@code from}. */
  private void moveAwayFrom(String from) {
    int i = Arrays.binarySearch(ids, from);
    String next = ids[(i + 1) % ids.length];
    hint.updateAndGet(h -> h.leader().equals(from) ? new Hint(h.term(), next, false) : h);
  }

  /** Opens the leader stream of every member, once, unless closed. */
  private synchronized void watchLeaders() {
    if (watches != null || closed) {
      return;
    }
    Map<String, Disposable> opened = new HashMap<>();
    watches = opened; // before subscribing: the watches' own connections must not come back here
    for (String member : ids) {
      opened.put(member, watch(member));
    }
  }

  private Disposable watch(String member) {
    return Mono.defer(() -> connection(member))
        .flatMapMany(rs -> rs.requestStream(DefaultPayload.create(
            ClientProtocol.request(ClientProtocol.OP_WATCH_LEADER, new byte[0]))))
        .map(p -> {
          try {
            return ClientProtocol.readLeader(p.getData());
          } finally {
            p.release();
          }
        })
        .doOnNext(this::heard)
        .repeatWhen(ends -> ends.delayElements(Duration.ofMillis(WATCH_REOPEN_MS)))
        .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(WATCH_RETRY_MIN_MS))
            .maxBackoff(Duration.ofMillis(WATCH_RETRY_MAX_MS)).transientErrors(true))
        .subscribe(h -> {}, e -> {});
  }

  // ---------------------------------------------------------------- pipelined proposals

  /** One pipelined request-channel to a member: requests tagged with ids, replies matched by id. */
  private static final class Channel {
    private final Sinks.Many<Payload> out = Sinks.many().unicast().onBackpressureBuffer();
    private final Map<Long, MonoSink<ByteBuffer>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile Throwable failed;

    Channel(RSocket rs) {
      rs.requestChannel(out.asFlux()).subscribe(this::onReply, this::onEnd, () -> onEnd(new ClientException("channel closed")));
    }

    /**
     * Sends one request; the reply completes the Mono. Cancelled before its reply (by the caller or
     * a timeout), the call is forgotten (a late reply is dropped) and {@code onUnanswered} runs.
     */
    Mono<ByteBuffer> call(byte op, byte[] body, Runnable onUnanswered) {
      return Mono.create(sink -> {
        Throwable f = failed;
        if (f != null) {
          sink.error(f);
          return;
        }
        long id = ids.incrementAndGet();
        pending.put(id, sink);
        sink.onCancel(() -> {
          if (pending.remove(id) != null) {
            onUnanswered.run();
          }
        });
        ByteBuffer req = ByteBuffer.allocate(9 + body.length);
        req.putLong(id).put(op).put(body).flip();
        synchronized (this) { // one emitter at a time
          out.emitNext(DefaultPayload.create(req), Sinks.EmitFailureHandler.FAIL_FAST);
        }
      });
    }

    private void onReply(Payload p) {
      try {
        ByteBuffer data = p.getData();
        long id = data.getLong();
        ByteBuffer copy = ByteBuffer.allocate(data.remaining());
        copy.put(data).flip();
        MonoSink<ByteBuffer> sink = pending.remove(id);
        if (sink != null) {
          sink.success(copy);
        }
      } finally {
        p.release();
      }
    }

    private void onEnd(Throwable t) {
      failed = t;
      pending.values().forEach(s -> s.error(t));
      pending.clear();
    }

    /** Fails every call waiting now (the channel stays usable): each gets its own exception. */
    void failPending(java.util.function.Supplier<? extends Throwable> why) {
      for (Long id : pending.keySet()) {
        MonoSink<ByteBuffer> sink = pending.remove(id);
        if (sink != null) {
          sink.error(why.get());
        }
      }
    }

    boolean isBroken() {
      return failed != null;
    }

    int pending() {
      return pending.size();
    }
  }

  /** Calls waiting for a reply on the channel to {@code member} (0 without one); for tests. */
  int pendingCalls(String member) {
    Mono<Channel> ch = channels.get(member);
    if (ch == null) {
      return 0;
    }
    Channel c = ch.block(Duration.ofSeconds(5));
    return c == null ? 0 : c.pending();
  }

  private Mono<Channel> channel(String member) {
    Mono<Channel> cached = channels.computeIfAbsent(member,
        id -> connection(id).map(rs -> {
          Channel c = new Channel(rs);
          liveChannels.put(id, c);
          return c;
        }).cache(c -> Duration.ofMillis(Long.MAX_VALUE), e -> Duration.ZERO, () -> Duration.ZERO));
    return cached.flatMap(c -> {
      if (c.isBroken()) {
        channels.remove(member, cached);
        return channel(member);
      }
      return Mono.just(c);
    });
  }

  /** Reads one member's state. */
  public Mono<NodeStatus> state(String member) {
    return call(member, ClientProtocol.request(ClientProtocol.OP_STATE, new byte[0])).map(b -> {
      byte status = b.get();
      if (status != ClientProtocol.OK) {
        throw refusal(member, status, b);
      }
      return ClientProtocol.readState(b);
    });
  }

  /**
   * A linearizable read point from {@code member}, which must be the leader: every write
   * acknowledged before the call is at or below it, and the member has applied it.
   */
  public Mono<Long> readIndex(String member) {
    return call(member, ClientProtocol.request(ClientProtocol.OP_READ_INDEX, new byte[0])).map(b -> {
      byte status = b.get();
      if (status != ClientProtocol.OK) {
        throw refusal(member, status, b);
      }
      return b.getLong();
    });
  }

  /** Asks leader {@code member} to hand leadership to {@code target}; completes once it leads. */
  public Mono<Void> transferLeadership(String member, String target) {
    byte[] body = target.getBytes(StandardCharsets.UTF_8);
    return call(member, ClientProtocol.request(ClientProtocol.OP_TRANSFER, body)).flatMap(b -> {
      byte status = b.get();
      if (status != ClientProtocol.OK) {
        return Mono.error(refusal(member, status, b));
      }
      return Mono.empty();
    });
  }

  /**
   * Asks leader {@code member} to add {@code id}, listening for peers at {@code hostPort}, as a
   * learner or a voter; completes with the new configuration once it is committed. Fails with
   * {@link NotLeaderException} (naming the leader when known) or {@link ClientException} (e.g. another
   * change under way).
   */
  public Mono<Membership> addMember(String member, String id, String hostPort, boolean learner) {
    return addMember(member, id, hostPort, learner, false);
  }

  /**
   * {@link #addMember(String, String, String, boolean)}; with {@code force}, a voter is added even
   * when the leader's safety checks would refuse it (not caught up, or the new voters without a
   * quorum the leader hears): for an operator who knows it will come up.
   */
  public Mono<Membership> addMember(String member, String id, String hostPort, boolean learner, boolean force) {
    byte[] i = id.getBytes(StandardCharsets.UTF_8);
    byte[] a = hostPort.getBytes(StandardCharsets.UTF_8);
    ByteBuffer body = ByteBuffer.allocate(2 + i.length + 2 + a.length + 1);
    ClientProtocol.putStr(body, i);
    ClientProtocol.putStr(body, a);
    body.put((byte) ((learner ? ClientProtocol.ADD_LEARNER : 0) | (force ? ClientProtocol.ADD_FORCE : 0)));
    return membershipCall(member, ClientProtocol.OP_MEMBER_ADD, body.array());
  }

  /** Asks leader {@code member} to remove {@code id}; completes as {@link #addMember} does. */
  public Mono<Membership> removeMember(String member, String id) {
    return membershipCall(member, ClientProtocol.OP_MEMBER_REMOVE, id.getBytes(StandardCharsets.UTF_8));
  }

  /** The configuration {@code member} holds (its latest, maybe not committed yet). */
  public Mono<Membership> membership(String member) {
    return membershipCall(member, ClientProtocol.OP_MEMBERSHIP, new byte[0]);
  }

  private Mono<Membership> membershipCall(String member, byte op, byte[] body) {
    return call(member, ClientProtocol.request(op, body)).map(b -> {
      byte status = b.get();
      if (status != ClientProtocol.OK) {
        throw refusal(member, status, b);
      }
      return ClientProtocol.readMembership(b);
    });
  }

  /** The command a member applied at {@code index} (members started with command recording). */
  public Mono<byte[]> read(String member, long index) {
    ByteBuffer req = ByteBuffer.allocate(8).putLong(index);
    return call(member, ClientProtocol.request(ClientProtocol.OP_READ, req.array())).map(b -> {
      byte status = b.get();
      if (status != ClientProtocol.OK) {
        throw refusal(member, status, b);
      }
      byte[] cmd = new byte[b.remaining()];
      b.get(cmd);
      return cmd;
    });
  }

  private Mono<ByteBuffer> call(String member, ByteBuffer request) {
    return connection(member).flatMap(rs -> rs.requestResponse(DefaultPayload.create(request))).map(p -> {
      try {
        ByteBuffer data = p.getData();
        ByteBuffer copy = ByteBuffer.allocate(data.remaining());
        copy.put(data).flip();
        return copy;
      } finally {
        p.release();
      }
    });
  }

  private Mono<RSocket> connection(String member) {
    if (!endpoints.containsKey(member)) {
      return Mono.error(new IllegalArgumentException("'" + member + "' is not one of " + endpoints.keySet()));
    }
    if (closed) {
      return Mono.error(new IllegalStateException("this client is closed"));
    }
    if (watches == null) {
      watchLeaders();
    }
    // one shared connection attempt per member: concurrent callers wait for the same one
    Mono<RSocket> shared = connections.compute(member, (id, cached) -> cached != null ? cached : connect(id));
    return shared.flatMap(rs -> {
      if (!rs.isDisposed()) {
        return Mono.just(rs);
      }
      connections.remove(member, shared);
      return connection(member);
    });
  }

  private Mono<RSocket> connect(String member) {
    InetSocketAddress a = endpoints.get(member);
    RSocketConnector connector = RSocketConnector.create();
    if (group != null) {
      connector.setupPayload(io.rsocket.util.DefaultPayload.create(group));
    }
    return connector
        .connect(TcpClientTransport.create(a.getHostString(), a.getPort()))
        .timeout(Duration.ofSeconds(2))
        .doOnError(e -> connections.remove(member))
        .doOnNext(rs -> {
          if (closed) {
            rs.dispose(); // opened while closing: nobody will close it
          }
        })
        .cache(rs -> Duration.ofMillis(Long.MAX_VALUE), e -> Duration.ZERO, () -> Duration.ZERO);
  }

  /** Stops watching the members' leaders and closes the connections; calls under way fail. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      if (watches != null) {
        watches.values().forEach(Disposable::dispose);
      }
    }
    channels.clear();
    for (Mono<RSocket> c : connections.values()) {
      c.subscribe(RSocket::dispose, e -> {});
    }
    connections.clear();
  }
}

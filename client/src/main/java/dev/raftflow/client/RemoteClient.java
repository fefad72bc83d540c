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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;

/**
 * A client of a group's members over the {@link ClientProtocol}: proposes to the member it believes
 * leads and follows NOT_LEADER redirects. One RSocket connection per member, opened lazily;
 * proposals are pipelined on one request-channel per member. Thread-safe.
 *
 * <p>Every call is a lazy {@link Mono}. A member's refusal fails it with a {@link ClientException}
 * ({@link NotLeaderException}, {@link OverloadedException} or the base type with the member's
 * message); a connection failure fails it with the transport's exception.
 */
public final class RemoteClient implements AutoCloseable {

  private final Map<String, InetSocketAddress> endpoints;
  private final Map<String, Mono<RSocket>> connections = new ConcurrentHashMap<>();
  private final Map<String, Mono<Channel>> channels = new ConcurrentHashMap<>();
  private volatile String leader;

  /**
   * @param endpoints member id → client endpoint address (not empty)
   * @throws IllegalArgumentException when {@code endpoints} is empty
   */
  public RemoteClient(Map<String, InetSocketAddress> endpoints) {
    if (endpoints == null || endpoints.isEmpty()) {
      throw new IllegalArgumentException("a remote client needs at least one endpoint");
    }
    this.endpoints = Map.copyOf(endpoints);
    this.leader = endpoints.keySet().iterator().next();
  }

  /** The member proposals currently go to. */
  public String leaderHint() {
    return leader;
  }

  /** Proposes to the believed leader; completes when committed and applied there. */
  public Mono<Position> propose(byte[] command) {
    String target = leader;
    return channel(target).flatMap(ch -> ch.call(ClientProtocol.OP_PROPOSE, command)).flatMap(b -> {
      byte status = b.get();
      switch (status) {
        case ClientProtocol.OK:
          return Mono.just(new Position(b.getLong(), b.getLong()));
        case ClientProtocol.NOT_LEADER: {
          String hint = ClientProtocol.getStr(b);
          if (hint != null && endpoints.containsKey(hint)) {
            leader = hint;
          } else {
            rotate(target);
          }
          return Mono.error(new NotLeaderException(target, hint));
        }
        case ClientProtocol.OVERLOADED:
          return Mono.error(new OverloadedException(ClientProtocol.getStr(b)));
        default:
          return Mono.error(new ClientException(target + ": " + ClientProtocol.getStr(b)));
      }
    }).doOnError(e -> {
      if (!(e instanceof ClientException)) {
        channels.remove(target);
        rotate(target); // connection trouble: try the next member
      }
    });
  }

  /** One pipelined request-channel to a member: requests tagged with ids, replies matched by id. */
  private static final class Channel {
    private final Sinks.Many<Payload> out = Sinks.many().unicast().onBackpressureBuffer();
    private final Map<Long, MonoSink<ByteBuffer>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private volatile Throwable failed;

    Channel(RSocket rs) {
      rs.requestChannel(out.asFlux()).subscribe(this::onReply, this::onEnd, () -> onEnd(new ClientException("channel closed")));
    }

    Mono<ByteBuffer> call(byte op, byte[] body) {
      return Mono.create(sink -> {
        Throwable f = failed;
        if (f != null) {
          sink.error(f);
          return;
        }
        long id = ids.incrementAndGet();
        pending.put(id, sink);
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

    boolean isBroken() {
      return failed != null;
    }
  }

  private Mono<Channel> channel(String member) {
    Mono<Channel> cached = channels.computeIfAbsent(member,
        id -> connection(id).map(Channel::new).cache(c -> Duration.ofMillis(Long.MAX_VALUE), e -> Duration.ZERO, () -> Duration.ZERO));
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
      if (b.get() != ClientProtocol.OK) {
        throw new ClientException(member + ": " + ClientProtocol.getStr(b));
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
      if (status == ClientProtocol.NOT_LEADER) {
        throw new NotLeaderException(member, ClientProtocol.getStr(b));
      }
      if (status != ClientProtocol.OK) {
        throw new ClientException(member + ": " + ClientProtocol.getStr(b));
      }
      return b.getLong();
    });
  }

  /** Asks leader {@code member} to hand leadership to {@code target}; completes once it leads. */
  public Mono<Void> transferLeadership(String member, String target) {
    byte[] body = target.getBytes(StandardCharsets.UTF_8);
    return call(member, ClientProtocol.request(ClientProtocol.OP_TRANSFER, body)).flatMap(b -> {
      byte status = b.get();
      if (status == ClientProtocol.NOT_LEADER) {
        return Mono.error(new NotLeaderException(member, ClientProtocol.getStr(b)));
      }
      if (status != ClientProtocol.OK) {
        return Mono.error(new ClientException(member + ": " + ClientProtocol.getStr(b)));
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
      if (status == ClientProtocol.NOT_LEADER) {
        throw new NotLeaderException(member, ClientProtocol.getStr(b));
      }
      if (status != ClientProtocol.OK) {
        throw new ClientException(member + ": " + ClientProtocol.getStr(b));
      }
      return ClientProtocol.readMembership(b);
    });
  }

  /** The command a member applied at {@code index} (members started with command recording). */
  public Mono<byte[]> read(String member, long index) {
    ByteBuffer req = ByteBuffer.allocate(8).putLong(index);
    return call(member, ClientProtocol.request(ClientProtocol.OP_READ, req.array())).map(b -> {
      if (b.get() != ClientProtocol.OK) {
        throw new ClientException(member + ": " + ClientProtocol.getStr(b));
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
    // one shared connection attempt per member: concurrent callers wait for the same one
    return connections.compute(member, (id, cached) -> cached != null ? cached : connect(id))
        .flatMap(rs -> {
          if (!rs.isDisposed()) {
            return Mono.just(rs);
          }
          connections.remove(member);
          return connection(member);
        });
  }

  private Mono<RSocket> connect(String member) {
    InetSocketAddress a = endpoints.get(member);
    return RSocketConnector.create()
        .connect(TcpClientTransport.create(a.getHostString(), a.getPort()))
        .timeout(Duration.ofSeconds(2))
        .doOnError(e -> connections.remove(member))
        .cache(rs -> Duration.ofMillis(Long.MAX_VALUE), e -> Duration.ZERO, () -> Duration.ZERO);
  }

  private void rotate(String from) {
    if (!from.equals(leader)) {
      return;
    }
    String[] ids = endpoints.keySet().toArray(new String[0]);
    java.util.Arrays.sort(ids);
    for (int i = 0; i < ids.length; i++) {
      if (ids[i].equals(from)) {
        leader = ids[(i + 1) % ids.length];
        return;
      }
    }
  }

  @Override
  public void close() {
    channels.clear();
    for (Mono<RSocket> c : connections.values()) {
      c.subscribe(RSocket::dispose, e -> {});
    }
    connections.clear();
  }

}

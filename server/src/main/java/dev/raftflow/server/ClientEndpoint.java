package dev.raftflow.server;

import dev.raftflow.client.ClientProtocol;
import dev.raftflow.client.LeaderHint;
import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.Membership;
import dev.raftflow.engine.NodeState;
import dev.raftflow.engine.NotLeaderException;
import dev.raftflow.engine.OutcomeUnknownException;
import dev.raftflow.engine.OverloadedException;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.session.ExactlyOnceService;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.SocketAcceptor;
import io.rsocket.core.RSocketServer;
import io.rsocket.transport.netty.server.CloseableChannel;
import io.rsocket.transport.netty.server.TcpServerTransport;
import io.rsocket.util.DefaultPayload;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Serves the {@link ClientProtocol} for one node on a TCP port: proposals (answered when committed
 * and applied), state reads and membership changes, as single request-responses or pipelined on a
 * request-channel (requests and replies tagged with an id, replies in completion order), and the
 * node's leader changes as a request-stream. An engine {@code NotLeaderException} is answered
 * NOT_LEADER, an {@code OutcomeUnknownException} (e.g. a proposal pending on a leader that stepped
 * down) OUTCOME_UNKNOWN, both naming the leader when known. Started with {@link
 * #startWithSessions}, it also serves exactly-once sessions through the engine's {@code
 * ExactlyOnceService}. Thread-safe; {@link #close()} releases the port.
 */
public final class ClientEndpoint implements AutoCloseable {

  /** Requests of one client channel being served at once; beyond it, RSocket credit holds the client. */
  static final int MAX_IN_FLIGHT_PER_CHANNEL = 4096;

  private final CloseableChannel server;

  private ClientEndpoint(CloseableChannel server) {
    this.server = server;
  }

  /** Serves {@code node()} (looked up per request, so a restarted node is picked up) on host:port. */
  public static ClientEndpoint start(Supplier<RaftNode> node, String host, int port) {
    return start(node, index -> null, host, port);
  }

  /**
   * As {@link #start(Supplier, String, int)}, also answering READ with {@code reader} (the applied
   * command at an index, or null when unknown).
   */
  public static ClientEndpoint start(Supplier<RaftNode> node, LongFunction<byte[]> reader, String host, int port) {
    return start(node, null, reader, host, port);
  }

  /**
   * As {@link #start(Supplier, String, int)}, also serving the SESSION ops through {@code sessions()}
   * (the exactly-once layer running on the node, looked up per request; null while there is none:
   * those ops are then answered NOT_LEADER, so a client tries another member). An endpoint started
   * without it answers the SESSION ops ERROR.
   */
  public static ClientEndpoint startWithSessions(Supplier<RaftNode> node, Supplier<ExactlyOnceService> sessions,
      String host, int port) {
    Objects.requireNonNull(sessions, "sessions");
    return start(node, sessions, index -> null, host, port);
  }

  private static ClientEndpoint start(Supplier<RaftNode> node, Supplier<ExactlyOnceService> sessions,
      LongFunction<byte[]> reader, String host, int port) {
    RSocket handler = handler(node, sessions, reader);
    CloseableChannel server = RSocketServer.create(SocketAcceptor.with(handler))
        .bind(TcpServerTransport.create(host, port))
        .block(Duration.ofSeconds(10));
    return new ClientEndpoint(server);
  }

  /**
   * Serves the groups of a host (multi-raft) on host:port: a client names its group in the data of
   * its connection's SETUP frame (UTF-8; {@code RemoteClient.Builder#group}), and every request on
   * that connection goes to {@code groups.apply(group)} (looked up per request; null while the group
   * does not run here: NOT_LEADER, so the client tries another member). A connection naming no group
   * is refused with a reason.
   */
  public static ClientEndpoint startForGroups(java.util.function.Function<String, RaftNode> groups, String host, int port) {
    return startForGroups(groups, (group, index) -> null, host, port);
  }

  /**
   * As {@link #startForGroups(java.util.function.Function, String, int)}, also answering READ with
   * {@code reader} (the command a group applied at an index, or null when unknown).
   */
  public static ClientEndpoint startForGroups(java.util.function.Function<String, RaftNode> groups,
      java.util.function.BiFunction<String, Long, byte[]> reader, String host, int port) {
    Objects.requireNonNull(groups, "groups");
    Objects.requireNonNull(reader, "reader");
    SocketAcceptor acceptor = (setup, sendingSocket) -> {
      String group = setup.getDataUtf8();
      if (group.isEmpty()) {
        return Mono.error(new io.rsocket.exceptions.RejectedSetupException(
            "this member hosts several groups: name one in the connection's setup (client --group)"));
      }
      return Mono.just(handler(() -> groups.apply(group), null, index -> reader.apply(group, index)));
    };
    CloseableChannel server = RSocketServer.create(acceptor)
        .bind(TcpServerTransport.create(host, port))
        .block(Duration.ofSeconds(10));
    return new ClientEndpoint(server);
  }

  private static RSocket handler(Supplier<RaftNode> node, Supplier<ExactlyOnceService> sessions,
      LongFunction<byte[]> reader) {
    return new RSocket() {
      @Override
      public Mono<Payload> requestResponse(Payload payload) {
        try {
          ByteBuffer req = payload.getData();
          byte op = req.get();
          byte[] body = new byte[req.remaining()];
          req.get(body);
          return handle(node, sessions, reader, op, body).map(ClientEndpoint::reply);
        } catch (RuntimeException e) {
          return Mono.just(reply(ClientProtocol.failure(ClientProtocol.ERROR, "malformed request: " + e)));
        } finally {
          payload.release();
        }
      }

      /** WATCH_LEADER: the node's term and leader now, then each change; completes when the node stops. */
      @Override
      public Flux<Payload> requestStream(Payload payload) {
        byte op;
        try {
          op = payload.getData().get();
        } catch (RuntimeException e) {
          return Flux.error(new IllegalArgumentException("malformed request: " + e));
        } finally {
          payload.release();
        }
        if (op != ClientProtocol.OP_WATCH_LEADER) {
          return Flux.error(new IllegalArgumentException("op " + op + " is not a stream"));
        }
        RaftNode n = node.get();
        if (n == null) {
          return Flux.error(new IllegalStateException("node is restarting"));
        }
        return leaderItems(n).map(ClientEndpoint::reply);
      }

      /** The pipelined form: each request is [id][op][body], each reply [id][reply], in completion order. */
      @Override
      public Flux<Payload> requestChannel(Publisher<Payload> payloads) {
        return Flux.from(payloads).flatMap(payload -> {
          long id;
          byte op;
          byte[] body;
          try {
            ByteBuffer req = payload.getData();
            id = req.getLong();
            op = req.get();
            body = new byte[req.remaining()];
            req.get(body);
          } catch (RuntimeException e) {
            return Mono.just(reply(ClientProtocol.failure(ClientProtocol.ERROR, "malformed request: " + e)));
          } finally {
            payload.release();
          }
          return handle(node, sessions, reader, op, body).map(r -> {
            ByteBuffer out = ByteBuffer.allocate(8 + r.remaining());
            out.putLong(id).put(r).flip();
            return reply(out);
          });
        }, MAX_IN_FLIGHT_PER_CHANNEL);
      }
    };
  }

  private static Mono<ByteBuffer> handle(Supplier<RaftNode> node, Supplier<ExactlyOnceService> sessions,
      LongFunction<byte[]> reader, byte op, byte[] body) {
    if (op == ClientProtocol.OP_SESSION_REGISTER || op == ClientProtocol.OP_SESSION_COMMAND
        || op == ClientProtocol.OP_SESSION_CLOSE) {
      return SessionOps.handle(sessions, op, body);
    }
    RaftNode n = node.get();
    if (n == null) {
      return Mono.just(ClientProtocol.failure(ClientProtocol.ERROR, "node is restarting"));
    }
    return switch (op) {
      case ClientProtocol.OP_PROPOSE -> n.submit(body)
          .map(ClientEndpoint::position)
          .onErrorResume(e -> Mono.just(failure(e)));
      case ClientProtocol.OP_STATE -> Mono.just(state(n.state()));
      case ClientProtocol.OP_READ_INDEX -> Mono.fromFuture(n.readIndex())
          .map(index -> (ByteBuffer) ByteBuffer.allocate(9).put(ClientProtocol.OK).putLong(index).flip())
          .onErrorResume(e -> Mono.just(failure(e)));
      case ClientProtocol.OP_TRANSFER -> Mono.fromFuture(n.transferLeadership(new String(body, StandardCharsets.UTF_8)))
          .then(Mono.fromSupplier(() -> (ByteBuffer) ByteBuffer.allocate(1).put(ClientProtocol.OK).flip()))
          .onErrorResume(e -> Mono.just(failure(e)));
      case ClientProtocol.OP_MEMBER_ADD -> Mono.defer(() -> {
        ByteBuffer b = ByteBuffer.wrap(body);
        String member = ClientProtocol.getStr(b);
        String hostPort = ClientProtocol.getStr(b);
        byte flags = b.get();
        boolean learner = (flags & ClientProtocol.ADD_LEARNER) != 0;
        boolean force = (flags & ClientProtocol.ADD_FORCE) != 0;
        return n.submit(AddressBook.command(member, hostPort)) // every member learns the address first
            .then(Mono.fromFuture(() -> learner ? n.addLearner(member) : n.addVoter(member, force)));
      }).map(ClientEndpoint::membership).onErrorResume(e -> Mono.just(failure(e)));
      case ClientProtocol.OP_MEMBER_REMOVE -> Mono.defer(() -> {
        String member = new String(body, StandardCharsets.UTF_8);
        AddressBook.checkId(member);
        return Mono.fromFuture(n.removeMember(member));
      }).map(ClientEndpoint::membership).onErrorResume(e -> Mono.just(failure(e)));
      case ClientProtocol.OP_MEMBERSHIP -> Mono.just(membership(n.membership()));
      case ClientProtocol.OP_READ -> {
        byte[] cmd = body.length == 8 ? reader.apply(ByteBuffer.wrap(body).getLong()) : null;
        yield Mono.just(cmd == null
            ? ClientProtocol.failure(ClientProtocol.ERROR, "no applied command recorded at that index")
            : (ByteBuffer) ByteBuffer.allocate(1 + cmd.length).put(ClientProtocol.OK).put(cmd).flip());
      }
      default -> Mono.just(ClientProtocol.failure(ClientProtocol.ERROR, "unknown op " + op));
    };
  }

  /** The WATCH_LEADER items of {@code n}: its term and leader, each change of either once. */
  static Flux<ByteBuffer> leaderItems(RaftNode n) {
    return n.leaderChanges()
        .map(l -> new LeaderHint(l.term(), l.leaderId()))
        .distinctUntilChanged()
        .map(h -> ClientProtocol.leader(h.term(), h.leaderId()));
  }

  private static ByteBuffer position(LogPosition p) {
    return ClientProtocol.position(p.index(), p.term());
  }

  private static ByteBuffer state(NodeState s) {
    return ClientProtocol.state(s.term(), s.role().name(), s.leaderId(), s.commitIndex(), s.appliedIndex(), s.lastIndex());
  }

  private static ByteBuffer membership(Membership m) {
    return ClientProtocol.membership(m.voters(), m.outgoingVoters(), m.learners());
  }

  static ByteBuffer failure(Throwable e) {
    if (e instanceof NotLeaderException nl) {
      return ClientProtocol.failure(ClientProtocol.NOT_LEADER, nl.leaderId());
    }
    if (e instanceof OutcomeUnknownException ou) {
      return ClientProtocol.outcomeUnknown(ou.leaderId(), ou.getMessage());
    }
    if (e instanceof OverloadedException) {
      return ClientProtocol.failure(ClientProtocol.OVERLOADED, e.getMessage());
    }
    return ClientProtocol.failure(ClientProtocol.ERROR, String.valueOf(e.getMessage()));
  }

  private static Payload reply(ByteBuffer b) {
    return DefaultPayload.create(b);
  }

  public InetSocketAddress address() {
    return server.address();
  }

  @Override
  public void close() {
    server.dispose();
    server.onClose().block(Duration.ofSeconds(5));
  }
}

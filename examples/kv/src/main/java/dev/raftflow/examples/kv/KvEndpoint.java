package dev.raftflow.examples.kv;

import dev.raftflow.client.ClientProtocol;
import dev.raftflow.engine.NodeClosedException;
import dev.raftflow.engine.NotLeaderException;
import dev.raftflow.engine.OverloadedException;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.session.ExactlyOnceService;
import dev.raftflow.server.ClientEndpoint;
import dev.raftflow.server.NodeCommand;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.SocketAcceptor;
import io.rsocket.core.RSocketConnector;
import io.rsocket.core.RSocketServer;
import io.rsocket.transport.netty.client.TcpClientTransport;
import io.rsocket.transport.netty.server.CloseableChannel;
import io.rsocket.transport.netty.server.TcpServerTransport;
import io.rsocket.util.DefaultPayload;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * One port serving a KV member's clients: the {@link KvReads} ops, answered here after a read index,
 * and everything else of the {@link ClientProtocol} (sessions, state, leader watch, membership),
 * passed to a {@link ClientEndpoint} this endpoint runs on 127.0.0.1 behind it. Clients (the {@code
 * kv} command, {@link KvClient}, {@code RemoteClient}) need this one address per member.
 *
 * <p>A read is served as {@code readIndex()} completes: the map then reflects every write
 * acknowledged before the read began. It fails NOT_LEADER (naming the leader when known) on a member
 * that cannot give a read index (a follower without follower reads, no leader known), OVERLOADED when
 * too many reads wait, ERROR for a malformed request. Thread-safe; {@link #close()} releases both ports.
 */
public final class KvEndpoint implements NodeCommand.Serving {

  private final ClientEndpoint inner;
  private final RSocket toInner;
  private final CloseableChannel server;

  private KvEndpoint(ClientEndpoint inner, RSocket toInner, CloseableChannel server) {
    this.inner = inner;
    this.toInner = toInner;
    this.server = server;
  }

  /**
   * Serves {@code kv}, run by {@code sessions} on {@code node}, at host:port (port 0: any).
   *
   * @throws RuntimeException when a port cannot be bound (nothing is left open)
   */
  public static KvEndpoint start(RaftNode node, ExactlyOnceService sessions, KvStateMachine kv, String host, int port) {
    ClientEndpoint inner = ClientEndpoint.startWithSessions(() -> node, () -> sessions, "127.0.0.1", 0);
    RSocket toInner = null;
    try {
      toInner = RSocketConnector.create()
          .connect(TcpClientTransport.create("127.0.0.1", inner.address().getPort()))
          .block(Duration.ofSeconds(10));
      RSocket forward = toInner;
      RSocket handler = new RSocket() {
        @Override
        public Mono<Payload> requestResponse(Payload payload) {
          ByteBuffer data = payload.getData();
          if (!data.hasRemaining() || !KvReads.isRead(data.get(data.position()))) {
            return forward.requestResponse(payload);
          }
          Mono<ByteBuffer> reply;
          try {
            byte op = data.get();
            ByteBuffer body = ByteBuffer.allocate(data.remaining()).put(data).flip();
            reply = read(node, kv, op, body);
          } finally {
            payload.release();
          }
          return reply.map(DefaultPayload::create);
        }

        @Override
        public Mono<Void> fireAndForget(Payload payload) {
          return forward.fireAndForget(payload);
        }

        @Override
        public Flux<Payload> requestStream(Payload payload) {
          return forward.requestStream(payload);
        }

        @Override
        public Flux<Payload> requestChannel(Publisher<Payload> payloads) {
          return forward.requestChannel(payloads);
        }
      };
      CloseableChannel server = RSocketServer.create(SocketAcceptor.with(handler))
          .bind(TcpServerTransport.create(host, port))
          .block(Duration.ofSeconds(10));
      return new KvEndpoint(inner, toInner, server);
    } catch (RuntimeException e) {
      if (toInner != null) {
        toInner.dispose();
      }
      inner.close();
      throw e;
    }
  }

  /** Answers one read once {@code node} gave a read index; failures become replies. */
  static Mono<ByteBuffer> read(RaftNode node, KvStateMachine kv, byte op, ByteBuffer body) {
    try {
      if (op == KvReads.OP_GET) {
        String key = KvReads.readGet(body);
        return Mono.fromFuture(node::readIndex).map(index -> KvReads.getReply(kv.get(key)))
            .onErrorResume(e -> Mono.just(failure(e)));
      }
      KvReads.Range r = KvReads.readRange(body);
      return Mono.fromFuture(node::readIndex)
          .publishOn(Schedulers.parallel()) // a long scan stays off the node's loop
          .map(index -> KvReads.rangeReply(kv.range(r.from(), r.to(), r.limit())))
          .onErrorResume(e -> Mono.just(failure(e)));
    } catch (MalformedKvDataException e) {
      return Mono.just(ClientProtocol.failure(ClientProtocol.ERROR, "malformed read: " + e.getMessage()));
    }
  }

  private static ByteBuffer failure(Throwable e) {
    if (e instanceof NotLeaderException nl) {
      return ClientProtocol.failure(ClientProtocol.NOT_LEADER, nl.leaderId());
    }
    if (e instanceof NodeClosedException) {
      return ClientProtocol.failure(ClientProtocol.NOT_LEADER, null);
    }
    if (e instanceof OverloadedException) {
      return ClientProtocol.failure(ClientProtocol.OVERLOADED, e.getMessage());
    }
    return ClientProtocol.failure(ClientProtocol.ERROR, String.valueOf(e.getMessage()));
  }

  @Override
  public InetSocketAddress address() {
    return server.address();
  }

  @Override
  public void close() {
    server.dispose();
    server.onClose().block(Duration.ofSeconds(5));
    toInner.dispose();
    inner.close();
  }
}

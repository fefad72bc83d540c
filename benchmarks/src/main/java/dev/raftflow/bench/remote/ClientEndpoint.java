package dev.raftflow.bench.remote;

import dev.raftflow.engine.NotLeaderException;
import dev.raftflow.engine.OverloadedException;
import dev.raftflow.engine.RaftNode;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.SocketAcceptor;
import io.rsocket.core.RSocketServer;
import io.rsocket.transport.netty.server.CloseableChannel;
import io.rsocket.transport.netty.server.TcpServerTransport;
import io.rsocket.util.DefaultPayload;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/**
 * Serves the {@link ClientProtocol} for one node on a TCP port: proposals (answered when committed
 * and applied) and state reads. Thread-safe; {@link #close()} releases the port.
 */
public final class ClientEndpoint implements AutoCloseable {

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
    RSocket handler = new RSocket() {
      @Override
      public Mono<Payload> requestResponse(Payload payload) {
        ByteBuffer req;
        try {
          req = payload.getData();
          byte op = req.get();
          byte[] body = new byte[req.remaining()];
          req.get(body);
          RaftNode n = node.get();
          if (n == null) {
            return Mono.just(reply(ClientProtocol.failure(ClientProtocol.ERROR, "node is restarting")));
          }
          return switch (op) {
            case ClientProtocol.OP_PROPOSE -> n.submit(body)
                .map(pos -> reply(ClientProtocol.position(pos)))
                .onErrorResume(e -> Mono.just(reply(failure(e))));
            case ClientProtocol.OP_STATE -> Mono.just(reply(ClientProtocol.state(n.state())));
            case ClientProtocol.OP_READ -> {
              byte[] cmd = reader.apply(ByteBuffer.wrap(body).getLong());
              yield Mono.just(reply(cmd == null
                  ? ClientProtocol.failure(ClientProtocol.ERROR, "no applied command recorded at that index")
                  : (ByteBuffer) ByteBuffer.allocate(1 + cmd.length).put(ClientProtocol.OK).put(cmd).flip()));
            }
            default -> Mono.just(reply(ClientProtocol.failure(ClientProtocol.ERROR, "unknown op " + op)));
          };
        } catch (RuntimeException e) {
          return Mono.just(reply(ClientProtocol.failure(ClientProtocol.ERROR, "malformed request: " + e)));
        } finally {
          payload.release();
        }
      }
    };
    CloseableChannel server = RSocketServer.create(SocketAcceptor.with(handler))
        .bind(TcpServerTransport.create(host, port))
        .block(Duration.ofSeconds(10));
    return new ClientEndpoint(server);
  }

  private static ByteBuffer failure(Throwable e) {
    if (e instanceof NotLeaderException nl) {
      return ClientProtocol.failure(ClientProtocol.NOT_LEADER, nl.leaderId());
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

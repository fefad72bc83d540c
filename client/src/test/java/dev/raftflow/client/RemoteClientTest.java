package dev.raftflow.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@link RemoteClient} against scripted members on 127.0.0.1 that speak the protocol: redirects,
 * refusals and replies reach the caller as the documented types.
 */
class RemoteClientTest {

  private static final Duration WAIT = Duration.ofSeconds(5);
  private final List<CloseableChannel> servers = new ArrayList<>();

  @AfterEach
  void stop() {
    servers.forEach(CloseableChannel::dispose);
  }

  @Test
  void followsANotLeaderRedirectToTheLeader() {
    Map<String, InetSocketAddress> members = new LinkedHashMap<>();
    members.put("a", member((op, body) -> ClientProtocol.failure(ClientProtocol.NOT_LEADER, "b")));
    members.put("b", member((op, body) -> ClientProtocol.position(5, 2)));
    try (RemoteClient client = new RemoteClient(members)) {
      assertThat(client.leaderHint()).isEqualTo("a");
      assertThatThrownBy(() -> client.propose(bytes("x")).block(WAIT))
          .isInstanceOfSatisfying(NotLeaderException.class, e -> {
            assertThat(e.member()).isEqualTo("a");
            assertThat(e.leaderId()).isEqualTo("b");
          });
      assertThat(client.leaderHint()).isEqualTo("b");
      assertThat(client.propose(bytes("x")).block(WAIT)).isEqualTo(new Position(5, 2));
    }
  }

  @Test
  void refusalsAreTypedAndCarryTheMembersText() {
    Map<String, InetSocketAddress> members = Map.of("a", member((op, body) -> switch (op) {
      case ClientProtocol.OP_PROPOSE -> ClientProtocol.failure(ClientProtocol.OVERLOADED, "queue full");
      case ClientProtocol.OP_MEMBER_ADD -> ClientProtocol.failure(ClientProtocol.ERROR, "'x' is not host:port");
      case ClientProtocol.OP_MEMBER_REMOVE -> ClientProtocol.failure(ClientProtocol.NOT_LEADER, null);
      default -> ClientProtocol.failure(ClientProtocol.ERROR, "unexpected op " + op);
    }));
    try (RemoteClient client = new RemoteClient(members)) {
      assertThatThrownBy(() -> client.propose(bytes("x")).block(WAIT))
          .isInstanceOf(OverloadedException.class).hasMessage("queue full");
      assertThatThrownBy(() -> client.addMember("a", "n4", "x", true).block(WAIT))
          .isExactlyInstanceOf(ClientException.class).hasMessageContaining("host:port");
      assertThatThrownBy(() -> client.removeMember("a", "n4").block(WAIT))
          .isInstanceOfSatisfying(NotLeaderException.class, e -> assertThat(e.leaderId()).isNull());
      assertThatThrownBy(() -> client.state("zz").block(WAIT))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'zz'");
    }
  }

  @Test
  void decodesStateMembershipReadAndReadIndex() {
    Map<String, InetSocketAddress> members = Map.of("a", member((op, body) -> switch (op) {
      case ClientProtocol.OP_STATE -> ClientProtocol.state(4, "LEADER", "a", 10, 9, 11);
      case ClientProtocol.OP_MEMBERSHIP -> ClientProtocol.membership(Set.of("a", "b"), Set.of(), Set.of("c"));
      case ClientProtocol.OP_READ_INDEX -> ByteBuffer.allocate(9).put(ClientProtocol.OK).putLong(10).flip();
      case ClientProtocol.OP_READ -> ByteBuffer.allocate(1 + 8).put(ClientProtocol.OK).put(body).flip(); // echoes
      default -> ClientProtocol.failure(ClientProtocol.ERROR, "unexpected op " + op);
    }));
    try (RemoteClient client = new RemoteClient(members)) {
      assertThat(client.state("a").block(WAIT)).isEqualTo(new NodeStatus(4, "LEADER", "a", 10, 9, 11));
      assertThat(client.membership("a").block(WAIT)).isEqualTo(Membership.of(Set.of("a", "b"), Set.of("c")));
      assertThat(client.readIndex("a").block(WAIT)).isEqualTo(10L);
      assertThat(ByteBuffer.wrap(client.read("a", 42).block(WAIT)).getLong()).isEqualTo(42);
    }
  }

  @Test
  void needsAnEndpoint() {
    assertThatThrownBy(() -> new RemoteClient(Map.of())).isInstanceOf(IllegalArgumentException.class);
  }

  /** A member on 127.0.0.1 answering each request (single or pipelined) with {@code answer(op, body)}. */
  private InetSocketAddress member(BiFunction<Byte, byte[], ByteBuffer> answer) {
    RSocket handler = new RSocket() {
      @Override
      public Mono<Payload> requestResponse(Payload p) {
        try {
          ByteBuffer req = p.getData();
          byte op = req.get();
          return Mono.just(DefaultPayload.create(answer.apply(op, rest(req))));
        } finally {
          p.release();
        }
      }

      @Override
      public Flux<Payload> requestChannel(Publisher<Payload> payloads) {
        return Flux.from(payloads).map(p -> {
          try {
            ByteBuffer req = p.getData();
            long id = req.getLong();
            byte op = req.get();
            ByteBuffer reply = answer.apply(op, rest(req));
            return DefaultPayload.create(ByteBuffer.allocate(8 + reply.remaining()).putLong(id).put(reply).flip());
          } finally {
            p.release();
          }
        });
      }
    };
    CloseableChannel server = RSocketServer.create(SocketAcceptor.with(handler))
        .bind(TcpServerTransport.create("127.0.0.1", 0)).block(WAIT);
    servers.add(server);
    return server.address();
  }

  private static byte[] rest(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

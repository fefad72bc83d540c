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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import reactor.core.Disposable;
import reactor.core.publisher.Sinks;
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
  void followsTheLeaderThatMembersPushWithoutBeingAsked() {
    Sinks.Many<LeaderHint> fromA = Sinks.many().replay().latest();
    Sinks.Many<LeaderHint> fromC = Sinks.many().replay().latest();
    fromA.tryEmitNext(new LeaderHint(1, "a"));
    Map<String, InetSocketAddress> members = new LinkedHashMap<>();
    members.put("b", member(STATE_ONLY, Flux::never));
    members.put("a", member(STATE_ONLY, fromA::asFlux));
    members.put("c", member(STATE_ONLY, fromC::asFlux));
    try (RemoteClient client = new RemoteClient(members)) {
      assertThat(client.leaderHint()).isEqualTo("b");
      client.state("b").block(WAIT); // the first call starts the watches
      awaitHint(client, "a");
      fromC.tryEmitNext(new LeaderHint(2, "c"));
      awaitHint(client, "c");
      fromA.tryEmitNext(new LeaderHint(1, "b")); // an older term: ignored
      fromA.tryEmitNext(new LeaderHint(2, null)); // same term, no leader: ignored
      fromA.tryEmitNext(new LeaderHint(3, null)); // a newer term without a leader: keep the guess
      fromA.tryEmitNext(new LeaderHint(3, "zz")); // not a member this client knows
      fromA.tryEmitNext(new LeaderHint(3, "a"));
      awaitHint(client, "a");
      fromC.tryEmitNext(new LeaderHint(2, "b")); // late news from c: older than what a said
      pause(200);
      assertThat(client.leaderHint()).isEqualTo("a");
    }
  }

  @Test
  void aLeaderStreamThatEndsIsOpenedAgainAfterAPauseAndCloseCancelsIt() {
    AtomicInteger opened = new AtomicInteger();
    AtomicInteger cancelled = new AtomicInteger();
    Sinks.Many<LeaderHint> live = Sinks.many().replay().latest();
    live.tryEmitNext(new LeaderHint(4, "b"));
    Map<String, InetSocketAddress> members = new LinkedHashMap<>();
    // a's node "restarts" twice: its stream completes, then fails, then stays
    members.put("a", member(STATE_ONLY, () -> switch (opened.incrementAndGet()) {
      case 1 -> Flux.just(new LeaderHint(3, "a"));
      case 2 -> Flux.error(new IllegalStateException("node is restarting"));
      default -> live.asFlux().doOnCancel(cancelled::incrementAndGet);
    }));
    members.put("b", member(STATE_ONLY, Flux::never));
    try (RemoteClient client = new RemoteClient(members)) {
      long start = System.nanoTime();
      client.state("a").block(WAIT);
      awaitHint(client, "b");
      assertThat(opened.get()).isEqualTo(3);
      // a completion waits WATCH_REOPEN_MS, an error at least half of WATCH_RETRY_MIN_MS (jitter)
      assertThat(System.nanoTime() - start).isGreaterThan(
          (RemoteClient.WATCH_REOPEN_MS + RemoteClient.WATCH_RETRY_MIN_MS / 2) * 1_000_000);
      pause(300);
      assertThat(opened.get()).as("a live stream is not reopened").isEqualTo(3);
    }
    awaitTrue(() -> cancelled.get() == 1);
  }

  @Test
  void anOutcomeUnknownAnswerIsTypedAndTheClientFollowsItsLeader() {
    Map<String, InetSocketAddress> members = new LinkedHashMap<>();
    members.put("a", member((op, body) -> ClientProtocol.outcomeUnknown("b", "a stopped leading term 3")));
    members.put("b", member((op, body) -> ClientProtocol.position(7, 4)));
    try (RemoteClient client = new RemoteClient(members)) {
      assertThatThrownBy(() -> client.propose(bytes("x")).block(WAIT))
          .isInstanceOfSatisfying(OutcomeUnknownException.class, e -> {
            assertThat(e.member()).isEqualTo("a");
            assertThat(e.leaderId()).isEqualTo("b");
            assertThat(e).hasMessageContaining("stopped leading term 3");
          })
          .isNotInstanceOf(NotLeaderException.class);
      assertThat(client.leaderHint()).isEqualTo("b");
      assertThat(client.propose(bytes("x")).block(WAIT)).isEqualTo(new Position(7, 4));
    }
  }

  @Test
  void aTimedOutProposalIsForgottenAndTheNextOneGoesElsewhere() {
    AtomicInteger asked = new AtomicInteger();
    Map<String, InetSocketAddress> members = new LinkedHashMap<>();
    members.put("a", member((op, body) -> {
      asked.incrementAndGet();
      return Mono.never(); // a wedged leader
    }, Flux::never));
    members.put("b", member((op, body) -> ClientProtocol.position(9, 5)));
    try (RemoteClient client = new RemoteClient(members)) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> client.propose(bytes("x"), Duration.ofMillis(300)).block(WAIT))
          .hasCauseInstanceOf(TimeoutException.class);
      assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(3));
      assertThat(asked.get()).isEqualTo(1);
      assertThat(client.pendingCalls("a")).as("the timed-out call is forgotten").isZero();
      assertThat(client.leaderHint()).isEqualTo("b");
      assertThat(client.propose(bytes("y"), Duration.ofSeconds(5)).block(WAIT)).isEqualTo(new Position(9, 5));
    }
  }

  @Test
  void aCancelledProposalIsForgottenButAPushedLeaderOfANewerTermIsKept() {
    AtomicInteger asked = new AtomicInteger();
    Sinks.Many<LeaderHint> fromB = Sinks.many().replay().latest();
    fromB.tryEmitNext(new LeaderHint(5, "a"));
    Map<String, InetSocketAddress> members = new LinkedHashMap<>();
    members.put("a", member((op, body) -> {
      if (op == ClientProtocol.OP_PROPOSE) {
        asked.incrementAndGet();
        return Mono.never();
      }
      return Mono.just(ClientProtocol.state(5, "LEADER", "a", 0, 0, 0));
    }, Flux::never));
    members.put("b", member(STATE_ONLY, fromB::asFlux));
    members.put("c", member(STATE_ONLY, Flux::never));
    try (RemoteClient client = new RemoteClient(members)) {
      client.state("a").block(WAIT);
      awaitHint(client, "a");
      // cancelled by the caller: forgotten, and the hint moves off the silent member
      Disposable first = client.propose(bytes("x")).subscribe(p -> {}, e -> {});
      awaitTrue(() -> asked.get() == 1 && client.pendingCalls("a") == 1);
      first.dispose();
      assertThat(client.pendingCalls("a")).isZero();
      assertThat(client.leaderHint()).isEqualTo("b");
      // a push of a newer term moved the hint while a call waited: giving up on that call keeps it
      fromB.tryEmitNext(new LeaderHint(6, "a"));
      awaitHint(client, "a");
      Disposable second = client.propose(bytes("y")).subscribe(p -> {}, e -> {});
      awaitTrue(() -> asked.get() == 2);
      fromB.tryEmitNext(new LeaderHint(7, "c"));
      awaitHint(client, "c");
      second.dispose();
      assertThat(client.pendingCalls("a")).isZero();
      assertThat(client.leaderHint()).isEqualTo("c");
    }
  }

  @Test
  void proposeTimeoutMustBePositive() {
    try (RemoteClient client = new RemoteClient(Map.of("a", new InetSocketAddress("127.0.0.1", 9)))) {
      assertThatThrownBy(() -> client.propose(bytes("x"), Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> client.propose(bytes("x"), Duration.ofMillis(-1)))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  private static final BiFunction<Byte, byte[], Mono<ByteBuffer>> STATE_ONLY = (op, body) ->
      Mono.just(op == ClientProtocol.OP_STATE ? ClientProtocol.state(1, "FOLLOWER", null, 0, 0, 0)
          : ClientProtocol.failure(ClientProtocol.ERROR, "unexpected op " + op));

  private static void awaitHint(RemoteClient client, String leader) {
    awaitTrue(() -> leader.equals(client.leaderHint()));
  }

  private static void awaitTrue(BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 5 s").isLessThan(deadline);
      pause(5);
    }
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void needsAnEndpoint() {
    assertThatThrownBy(() -> new RemoteClient(Map.of())).isInstanceOf(IllegalArgumentException.class);
  }

  /** A member on 127.0.0.1 answering each request (single or pipelined) with {@code answer(op, body)}. */
  private InetSocketAddress member(BiFunction<Byte, byte[], ByteBuffer> answer) {
    return member((op, body) -> Mono.just(answer.apply(op, body)), Flux::never);
  }

  /**
   * A member answering each request with {@code answer(op, body)} (maybe later, maybe never) and
   * serving {@code leaders} as its WATCH_LEADER stream.
   */
  private InetSocketAddress member(BiFunction<Byte, byte[], Mono<ByteBuffer>> answer,
      Supplier<Flux<LeaderHint>> leaders) {
    RSocket handler = new RSocket() {
      @Override
      public Mono<Payload> requestResponse(Payload p) {
        try {
          ByteBuffer req = p.getData();
          byte op = req.get();
          return answer.apply(op, rest(req)).map(DefaultPayload::create);
        } finally {
          p.release();
        }
      }

      @Override
      public Flux<Payload> requestStream(Payload p) {
        try {
          assertThat(p.getData().get()).isEqualTo(ClientProtocol.OP_WATCH_LEADER);
        } finally {
          p.release();
        }
        return leaders.get().map(h -> DefaultPayload.create(ClientProtocol.leader(h.term(), h.leaderId())));
      }

      @Override
      public Flux<Payload> requestChannel(Publisher<Payload> payloads) {
        return Flux.from(payloads).flatMap(p -> {
          long id;
          byte op;
          byte[] body;
          try {
            ByteBuffer req = p.getData();
            id = req.getLong();
            op = req.get();
            body = rest(req);
          } finally {
            p.release();
          }
          return answer.apply(op, body).map(reply ->
              DefaultPayload.create(ByteBuffer.allocate(8 + reply.remaining()).putLong(id).put(reply).flip()));
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

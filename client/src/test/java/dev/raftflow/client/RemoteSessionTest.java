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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@link RemoteSession} against scripted members on 127.0.0.1: every try of a command carries the
 * same (session, seq, ackedBelow) wherever it goes, the session retries until an answer, stops at a
 * refusal, and gives up at its call timeout.
 */
class RemoteSessionTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private final List<CloseableChannel> servers = new ArrayList<>();

  /** One SESSION_COMMAND as a member received it. */
  private record Try(String member, long session, long seq, long ackedBelow, String command) {}

  private final List<Try> tries = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    servers.forEach(CloseableChannel::dispose);
  }

  @Test
  void aCommandIsRetriedWithTheSameNumbersAcrossRedirectsUnknownOutcomesAndSilenceUntilAnswered() {
    AtomicInteger bTries = new AtomicInteger();
    AtomicInteger cTries = new AtomicInteger();
    Map<String, InetSocketAddress> members = new LinkedHashMap<>();
    members.put("a", member("a", t -> Mono.just(ClientProtocol.failure(ClientProtocol.NOT_LEADER, "b"))));
    members.put("b", member("b", t -> bTries.incrementAndGet() == 1
        ? Mono.just(ClientProtocol.outcomeUnknown("c", "stepped down")) // took it, then lost the lead to c
        : Mono.never())); // b leads again but freezes: the try times out and the session moves on to c
    members.put("c", member("c", t -> Mono.just(cTries.incrementAndGet() == 1
        ? ClientProtocol.failure(ClientProtocol.NOT_LEADER, "b")
        : ClientProtocol.ok(bytes("answer-" + t.seq())))));
    try (RemoteClient client = new RemoteClient(members)) {
      client.openSession(Duration.ofSeconds(8), Duration.ofSeconds(4)).block(WAIT); // warm: classes, connection to a
      RemoteSession session = client.openSession(Duration.ofSeconds(8), Duration.ofMillis(500)).block(WAIT);
      assertThat(session.id()).isEqualTo(42);
      byte[] answer = session.submit(bytes("inc")).block(WAIT);
      assertThat(new String(answer, StandardCharsets.UTF_8)).isEqualTo("answer-1");
      assertThat(tries).extracting(Try::member).containsExactly("a", "b", "c", "b", "c");
      assertThat(tries).allSatisfy(t -> assertThat(t).isEqualTo(new Try(t.member(), 42, 1, 1, "inc")));
    }
  }

  @Test
  void ackedBelowTellsWhichAnswersArrivedAndARefusalIsFinalAndTyped() {
    Map<String, InetSocketAddress> members = Map.of("a", member("a", t -> Mono.just(t.seq() == 3
        ? ClientProtocol.sessionRefused(ClientProtocol.REFUSED_TOO_MANY_UNACKNOWLEDGED, "held 2")
        : ClientProtocol.ok(bytes("ok")))));
    try (RemoteClient client = new RemoteClient(members)) {
      RemoteSession session = client.openSession().block(WAIT);
      session.submit(bytes("one")).block(WAIT);
      session.submit(bytes("two")).block(WAIT);
      assertThatThrownBy(() -> session.submit(bytes("three")).block(WAIT))
          .isInstanceOfSatisfying(SessionRefusedException.class,
              e -> assertThat(e.reason()).isEqualTo(SessionRefusedException.Reason.TOO_MANY_UNACKNOWLEDGED));
      session.submit(bytes("four")).block(WAIT);
      assertThat(tries).extracting(Try::seq).containsExactly(1L, 2L, 3L, 4L); // the refusal was not retried
      assertThat(tries).extracting(Try::ackedBelow).containsExactly(1L, 2L, 3L, 4L);
    }
  }

  @Test
  void aCallGivesUpAtItsTimeoutWhenNoMemberLeads() {
    Map<String, InetSocketAddress> members = Map.of("a",
        member("a", t -> Mono.just(ClientProtocol.failure(ClientProtocol.NOT_LEADER, null))));
    try (RemoteClient client = new RemoteClient(members)) {
      // the member registers sessions but never takes a command
      RemoteSession session = client.openSession(Duration.ofSeconds(3), Duration.ofMillis(500)).block(WAIT);
      long start = System.nanoTime();
      assertThatThrownBy(() -> session.submit(bytes("nobody leads")).block(WAIT))
          .hasCauseInstanceOf(TimeoutException.class); // block() wraps the checked exception
      assertThat(tries).as("tried again and again until the call's timeout").hasSizeGreaterThan(1);
      assertThat(System.nanoTime() - start).as("gave up at the 3 s call timeout").isLessThan(Duration.ofSeconds(10).toNanos());
      assertThatThrownBy(() -> client.openSession(Duration.ofSeconds(1), Duration.ofSeconds(2)))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> client.openSession(Duration.ZERO, Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void onlyErrorsThatLeaveTheOutcomeOpenAreRetried() {
    assertThat(RemoteSession.worthRetrying(new NotLeaderException("a", null))).isTrue();
    assertThat(RemoteSession.worthRetrying(new OutcomeUnknownException("a", null, null))).isTrue();
    assertThat(RemoteSession.worthRetrying(new TimeoutException())).isTrue();
    assertThat(RemoteSession.worthRetrying(new java.io.IOException("reset"))).isTrue();
    assertThat(RemoteSession.worthRetrying(new SessionRefusedException("a", SessionRefusedException.Reason.OTHER, null)))
        .isFalse();
    assertThat(RemoteSession.worthRetrying(new ClientException("command too large"))).isFalse();
    assertThat(RemoteSession.worthRetrying(new IllegalStateException("this client is closed"))).isFalse();
  }

  /**
   * A member on 127.0.0.1 that registers session 42, answers SESSION_COMMAND with {@code answer}
   * (recording each try), and pushes no leader.
   */
  private InetSocketAddress member(String id, Function<Try, Mono<ByteBuffer>> answer) {
    Function<ByteBuffer, Mono<ByteBuffer>> serve = req -> {
      byte op = req.get();
      if (op == ClientProtocol.OP_SESSION_REGISTER) {
        return Mono.just(ClientProtocol.session(42));
      }
      if (op != ClientProtocol.OP_SESSION_COMMAND) {
        return Mono.just(ClientProtocol.failure(ClientProtocol.ERROR, "unexpected op " + op));
      }
      long session = req.getLong();
      long seq = req.getLong();
      long acked = req.getLong();
      byte[] cmd = new byte[req.remaining()];
      req.get(cmd);
      Try t = new Try(id, session, seq, acked, new String(cmd, StandardCharsets.UTF_8));
      tries.add(t);
      return answer.apply(t);
    };
    RSocket handler = new RSocket() {
      @Override
      public Flux<Payload> requestStream(Payload p) {
        p.release();
        return Flux.never();
      }

      @Override
      public Flux<Payload> requestChannel(Publisher<Payload> payloads) {
        return Flux.from(payloads).flatMap(p -> {
          long tag;
          Mono<ByteBuffer> reply;
          try {
            ByteBuffer req = p.getData();
            tag = req.getLong();
            reply = serve.apply(req);
          } finally {
            p.release();
          }
          return reply.map(r -> DefaultPayload.create(ByteBuffer.allocate(8 + r.remaining()).putLong(tag).put(r).flip()));
        });
      }
    };
    CloseableChannel server = RSocketServer.create(SocketAcceptor.with(handler))
        .bind(TcpServerTransport.create("127.0.0.1", 0)).block(WAIT);
    servers.add(server);
    return server.address();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

package dev.raftflow.server;

import dev.raftflow.client.ClientProtocol;
import dev.raftflow.engine.NodeClosedException;
import dev.raftflow.engine.ProposalDroppedException;
import dev.raftflow.engine.session.ExactlyOnceService;
import dev.raftflow.engine.session.SessionRefusedException;
import java.nio.ByteBuffer;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/**
 * The SESSION ops of the {@link ClientProtocol}, served through a member's {@link
 * ExactlyOnceService}. Every failure after which the same (session, seq) may be sent again is
 * answered NOT_LEADER or OUTCOME_UNKNOWN (a closed node and a dropped proposal too), so a client
 * retries; a refusal of the session table is SESSION_REFUSED; anything else ERROR. Stateless.
 */
final class SessionOps {

  private SessionOps() {}

  static Mono<ByteBuffer> handle(Supplier<ExactlyOnceService> sessions, byte op, byte[] body) {
    if (sessions == null) {
      return Mono.just(ClientProtocol.failure(ClientProtocol.ERROR, "this member serves no sessions"));
    }
    ExactlyOnceService s = sessions.get();
    if (s == null) {
      return Mono.just(ClientProtocol.failure(ClientProtocol.NOT_LEADER, null)); // restarting: ask another
    }
    Mono<ByteBuffer> reply = Mono.defer(() -> {
      ByteBuffer b = ByteBuffer.wrap(body);
      return switch (op) {
        case ClientProtocol.OP_SESSION_REGISTER -> s.register().map(ClientProtocol::session);
        case ClientProtocol.OP_SESSION_COMMAND -> {
          long session = b.getLong();
          long seq = b.getLong();
          long ackedBelow = b.getLong();
          byte[] command = new byte[b.remaining()];
          b.get(command);
          yield s.submit(session, seq, ackedBelow, command).map(ClientProtocol::ok);
        }
        case ClientProtocol.OP_SESSION_CLOSE -> {
          long session = b.getLong();
          yield s.closeSession(session).thenReturn(ClientProtocol.ok(new byte[0]));
        }
        default -> Mono.error(new IllegalArgumentException("op " + op + " is not a session op"));
      };
    });
    return reply.onErrorResume(e -> Mono.just(failure(s, e)));
  }

  private static ByteBuffer failure(ExactlyOnceService s, Throwable e) {
    if (e instanceof SessionRefusedException r) {
      byte reason = switch (r.reason()) {
        case UNKNOWN_SESSION -> ClientProtocol.REFUSED_UNKNOWN_SESSION;
        case ANSWER_FORGOTTEN -> ClientProtocol.REFUSED_ANSWER_FORGOTTEN;
        case TOO_MANY_UNACKNOWLEDGED -> ClientProtocol.REFUSED_TOO_MANY_UNACKNOWLEDGED;
      };
      return ClientProtocol.sessionRefused(reason, r.getMessage());
    }
    if (e instanceof NodeClosedException || e instanceof ProposalDroppedException) {
      return ClientProtocol.failure(ClientProtocol.NOT_LEADER, s.node().state().leaderId());
    }
    if (e instanceof java.nio.BufferUnderflowException) {
      return ClientProtocol.failure(ClientProtocol.ERROR, "malformed session request: " + e);
    }
    return ClientEndpoint.failure(e);
  }
}

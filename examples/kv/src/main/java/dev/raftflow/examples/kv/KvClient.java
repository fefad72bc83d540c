package dev.raftflow.examples.kv;

import dev.raftflow.client.ClientProtocol;
import dev.raftflow.client.RemoteClient;
import dev.raftflow.client.RemoteSession;
import dev.raftflow.client.SessionRefusedException;
import io.rsocket.RSocket;
import io.rsocket.core.RSocketConnector;
import io.rsocket.transport.netty.client.TcpClientTransport;
import io.rsocket.util.DefaultPayload;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * A client of a KV cluster ({@code kv server} members), to embed in an application. Writes go
 * through one exactly-once session (opened on first use, opened again if it expires, or for later
 * writes after one ended without an answer): each write is applied at most once however often it
 * is retried across timeouts and leader changes. Reads ask the leader (or, with {@code readFrom},
 * that member first: any member with follower reads on) and are linearizable. Thread-safe; calls
 * may run concurrently and are pipelined.
 *
 * <p>Every call is a lazy {@link Mono}; each subscription is one request (resubscribing a write sends
 * another write). Calls fail with {@link KvException} when refused for good (malformed, a member's
 * error), {@link TimeoutException} after the call timeout (a write may then have been applied),
 * or the client library's {@code ClientException} (e.g. {@link SessionRefusedException} when the
 * session holds too many unacknowledged answers).
 */
public final class KvClient implements AutoCloseable {

  private static final Duration RETRY_MIN = Duration.ofMillis(20);
  private static final Duration RETRY_MAX = Duration.ofMillis(250);

  private final Map<String, InetSocketAddress> endpoints;
  private final RemoteClient remote;
  private final String readFrom;
  private final Duration callTimeout;
  private final Duration tryTimeout;
  private final Map<String, Mono<RSocket>> connections = new ConcurrentHashMap<>();
  /** Member ids in order, for moving on to the next one. */
  private final String[] ids;
  /** The member that last served a read as leader, or null: where reads without {@code readFrom} start. */
  private final AtomicReference<String> readLeader = new AtomicReference<>();
  /** The session writes use; replaced when it expires. Guarded by this. */
  private Mono<RemoteSession> session;
  private volatile boolean closed;

  /** A client reading from the leader, with calls of at most 10 s and tries of at most 2 s. */
  public KvClient(Map<String, InetSocketAddress> endpoints) {
    this(endpoints, null, Duration.ofSeconds(10), Duration.ofSeconds(2));
  }

  /**
   * @param endpoints member id → its kv-server client address (not empty)
   * @param readFrom the member reads go to first (null: the leader); a member that cannot serve
   *     them (no follower reads) redirects to the leader
   * @param callTimeout how long one call may take, retries included
   * @param tryTimeout how long one try may take before it is sent again
   * @throws IllegalArgumentException for no endpoints, a {@code readFrom} not among them, or
   *     timeouts that are not positive or a try longer than the call
   */
  public KvClient(Map<String, InetSocketAddress> endpoints, String readFrom, Duration callTimeout, Duration tryTimeout) {
    if (endpoints == null || endpoints.isEmpty()) {
      throw new IllegalArgumentException("a KV client needs at least one endpoint");
    }
    if (readFrom != null && !endpoints.containsKey(readFrom)) {
      throw new IllegalArgumentException("read member '" + readFrom + "' is not one of " + endpoints.keySet());
    }
    Objects.requireNonNull(callTimeout, "callTimeout");
    Objects.requireNonNull(tryTimeout, "tryTimeout");
    if (callTimeout.isNegative() || callTimeout.isZero() || tryTimeout.isNegative() || tryTimeout.isZero()
        || tryTimeout.compareTo(callTimeout) > 0) {
      throw new IllegalArgumentException("timeouts must be positive, the try's at most the call's: call "
          + callTimeout + ", try " + tryTimeout);
    }
    this.endpoints = Map.copyOf(endpoints);
    this.ids = this.endpoints.keySet().toArray(new String[0]);
    Arrays.sort(ids);
    this.remote = new RemoteClient(endpoints);
    this.readFrom = readFrom;
    this.callTimeout = callTimeout;
    this.tryTimeout = tryTimeout;
  }

  // ---------------------------------------------------------------- writes

  /** Sets {@code key} to {@code value}; completes with the previous value (empty when there was none). */
  public Mono<Optional<byte[]>> put(String key, byte[] value) {
    KvCommand c = new KvCommand.Put(key, value);
    return write(c).map(a -> Optional.ofNullable(a.previous()));
  }

  /** Removes {@code key}; completes with the value it had (empty when there was none). */
  public Mono<Optional<byte[]>> delete(String key) {
    KvCommand c = new KvCommand.Delete(key);
    return write(c).map(a -> Optional.ofNullable(a.previous()));
  }

  /**
   * Sets {@code key} to {@code value} if its value equals {@code expected} (null: if it is absent).
   * Completes with {@link KvAnswer.Status#APPLIED} or {@link KvAnswer.Status#NOT_APPLIED} and the
   * value the key had ({@link KvAnswer#previous()}, null when absent).
   */
  public Mono<KvAnswer> cas(String key, byte[] expected, byte[] value) {
    KvCommand c = new KvCommand.Cas(key, expected, value);
    return write(c);
  }

  private Mono<KvAnswer> write(KvCommand command) {
    byte[] data = command.encode();
    return Mono.defer(() -> {
      Mono<RemoteSession> s = session();
      return submitIn(s, data)
          .onErrorResume(e -> isExpired(e), e -> {
            // refused unapplied: the session expired or was closed; a new one may send it again
            dropSession(s);
            return submitIn(session(), data);
          });
    }).map(answer -> {
      KvAnswer a = KvAnswer.decode(answer);
      if (a.status() == KvAnswer.Status.REJECTED) {
        throw new KvException(a.message());
      }
      return a;
    });
  }

  /**
   * Submits in session {@code s}. A write that ends without an answer (a timeout, a member's error)
   * holds the session's acknowledgement mark at its number for good, and the group would keep every
   * later answer of that session until it refused more: later writes move to a new session, and
   * the old one, not closed (writes still under way in it must keep it), expires.
   */
  private Mono<byte[]> submitIn(Mono<RemoteSession> s, byte[] data) {
    return s.flatMap(open -> open.submit(data)).doOnError(e -> !(e instanceof SessionRefusedException), e -> dropSession(s));
  }

  private static boolean isExpired(Throwable e) {
    return e instanceof SessionRefusedException r && r.reason() == SessionRefusedException.Reason.UNKNOWN_SESSION;
  }

  private synchronized Mono<RemoteSession> session() {
    if (closed) {
      return Mono.error(new IllegalStateException("this KV client is closed"));
    }
    if (session == null) {
      AtomicReference<Mono<RemoteSession>> self = new AtomicReference<>();
      Mono<RemoteSession> opened = remote.openSession(callTimeout, tryTimeout)
          .doOnError(e -> dropSession(self.get()))
          .cache(s -> Duration.ofMillis(Long.MAX_VALUE), e -> Duration.ZERO, () -> Duration.ZERO);
      self.set(opened);
      session = opened; // the very Mono callers get, so that dropSession(it) recognizes it
    }
    return session;
  }

  private synchronized void dropSession(Mono<RemoteSession> which) {
    if (session == which) {
      session = null;
    }
  }

  // ---------------------------------------------------------------- reads

  /** The value of {@code key} (empty when absent), linearizable. */
  public Mono<Optional<byte[]>> get(String key) {
    byte[] request = KvReads.getRequest(key);
    return read(request).map(b -> Optional.ofNullable(KvReads.readGetReply(b)));
  }

  /**
   * Up to {@code limit} entries with {@code from <= key < to} in key order ({@code from} null: from
   * the first key, {@code to} null: to the last), one linearizable view.
   *
   * @throws IllegalArgumentException when {@code limit} is not in 1..{@value KvStateMachine#MAX_RANGE_LIMIT}
   */
  public Mono<List<KvEntry>> range(String from, String to, int limit) {
    byte[] request = KvReads.rangeRequest(from, to, limit);
    return read(request).map(KvReads::readRangeReply);
  }

  /** Sends a read to the read member or the leader, following redirects, until an answer or the call timeout. */
  private Mono<ByteBuffer> read(byte[] request) {
    return Mono.defer(() -> {
      // this call's next member: the read member, else the last leader seen, else the writes' leader hint
      String start = readFrom != null ? readFrom : readLeader.get();
      String[] target = {start != null ? start : remote.leaderHint()};
      return oneRead(request, target).retryWhen(Retry.backoff(Long.MAX_VALUE, RETRY_MIN).maxBackoff(RETRY_MAX)
              .filter(e -> e instanceof Retriable))
          .timeout(callTimeout, Mono.error(() -> new TimeoutException("no member answered the read within " + callTimeout)));
    });
  }

  private Mono<ByteBuffer> oneRead(byte[] request, String[] target) {
    return Mono.defer(() -> {
      String member = target[0];
      return call(member, request).timeout(tryTimeout).flatMap(b -> {
        byte status = b.get();
        if (status == ClientProtocol.OK) {
          if (readFrom == null) {
            readLeader.set(member);
          }
          return Mono.just(b);
        }
        String text = ClientProtocol.getStr(b);
        if (status == ClientProtocol.NOT_LEADER) {
          boolean named = text != null && endpoints.containsKey(text) && !text.equals(member);
          target[0] = named ? text : next(member);
          readLeader.compareAndSet(member, null);
          return Mono.error(new Retriable(member + " cannot serve the read now"));
        }
        if (status == ClientProtocol.OVERLOADED) {
          return Mono.error(new Retriable(member + " is overloaded: " + text));
        }
        return Mono.error(new KvException(member + ": " + text));
      }).onErrorMap(e -> !(e instanceof KvException) && !(e instanceof Retriable), e -> {
        if (!(e instanceof TimeoutException)) { // a broken connection: the next try dials again
          Mono<RSocket> broken = connections.remove(member);
          if (broken != null) {
            broken.subscribe(RSocket::dispose, ignored -> {});
          }
        }
        target[0] = next(member); // connection trouble or a slow member: try the next one
        readLeader.compareAndSet(member, null);
        return new Retriable(member + " did not answer: " + e);
      });
    });
  }

  private String next(String member) {
    int i = Arrays.binarySearch(ids, member);
    return ids[(i + 1) % ids.length];
  }

  /** A try that another member, or the same one later, may answer. */
  private static final class Retriable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Retriable(String message) {
      super(message, null, false, false);
    }
  }

  private Mono<ByteBuffer> call(String member, byte[] request) {
    return connection(member)
        .flatMap(rs -> rs.requestResponse(DefaultPayload.create(request)))
        .map(p -> {
          try {
            ByteBuffer data = p.getData();
            return ByteBuffer.allocate(data.remaining()).put(data).flip();
          } finally {
            p.release();
          }
        });
  }

  private Mono<RSocket> connection(String member) {
    if (closed) {
      return Mono.error(new IllegalStateException("this KV client is closed"));
    }
    Mono<RSocket> shared = connections.computeIfAbsent(member, id -> {
      InetSocketAddress a = endpoints.get(id);
      return RSocketConnector.create().connect(TcpClientTransport.create(a.getHostString(), a.getPort()))
          .timeout(tryTimeout)
          .cache(rs -> Duration.ofMillis(Long.MAX_VALUE), e -> Duration.ZERO, () -> Duration.ZERO);
    });
    return shared.flatMap(rs -> {
      if (!rs.isDisposed()) {
        return Mono.just(rs);
      }
      connections.remove(member, shared);
      return connection(member);
    });
  }

  /**
   * Closes the session (waiting at most the try timeout; else it expires) and the connections; calls
   * under way fail. Idempotent.
   */
  @Override
  public void close() {
    Mono<RemoteSession> open;
    synchronized (this) {
      closed = true;
      open = session;
      session = null;
    }
    if (open != null) {
      try {
        open.flatMap(RemoteSession::close).block(tryTimeout);
      } catch (RuntimeException e) {
        // not closed now: it expires after the session timeout
      }
    }
    remote.close();
    for (Mono<RSocket> c : connections.values()) {
      c.subscribe(RSocket::dispose, e -> {});
    }
    connections.clear();
  }
}

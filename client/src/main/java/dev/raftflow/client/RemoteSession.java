package dev.raftflow.client;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.TimeoutException;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * An exactly-once session of a {@link RemoteClient} (open one with {@link
 * RemoteClient#openSession()}): numbers its commands, tells the group which answers it has
 * received ({@code ackedBelow}), and retries each command with the same (session, seq) across
 * timeouts, NOT_LEADER and OUTCOME_UNKNOWN answers and lost connections, following the client's
 * leader hint, until it gets the answer. The group applies each command at most once and answers
 * every try with the first answer. Thread-safe; commands may be pipelined.
 *
 * <p><b>Errors.</b> A call fails with {@link SessionRefusedException} (the session expired or was
 * closed: open another; or too many answers unacknowledged), {@link TimeoutException} when its call
 * timeout passed first (the command may have been applied; it is not sent again), or a {@link
 * ClientException} with a member's error (for example a command too large). A command given up on
 * (timed out) holds the acknowledgement mark at its number, so the group keeps this session's later
 * answers until it is closed; after a timeout, prefer closing the session and opening another.
 */
public final class RemoteSession {

  /** Pauses between tries: the first, then doubling up to the max. */
  static final Duration RETRY_MIN = Duration.ofMillis(20);
  static final Duration RETRY_MAX = Duration.ofMillis(250);

  private final RemoteClient client;
  private final long id;
  private final Duration callTimeout;
  private final Duration tryTimeout;
  /** Guarded by this: the next number, and the numbers handed out whose answer was not delivered. */
  private long nextSeq = 1;
  private final TreeSet<Long> unanswered = new TreeSet<>();

  RemoteSession(RemoteClient client, long id, Duration callTimeout, Duration tryTimeout) {
    this.client = client;
    this.id = id;
    this.callTimeout = callTimeout;
    this.tryTimeout = tryTimeout;
  }

  /** The session's id (the log index of its registration). */
  public long id() {
    return id;
  }

  /**
   * Sends {@code command} as this session's next command; completes with the service's answer. The
   * number is taken now: subscribing to the returned {@link Mono} again sends the same command
   * again, which is safe. The array must not be modified afterwards.
   */
  public Mono<byte[]> submit(byte[] command) {
    Objects.requireNonNull(command, "command");
    long seq;
    synchronized (this) {
      seq = nextSeq++;
      unanswered.add(seq);
    }
    Mono<ByteBuffer> oneTry = Mono.defer(() -> client.toLeader(ClientProtocol.OP_SESSION_COMMAND,
        ClientProtocol.sessionCommand(id, seq, Math.min(ackedBelow(), seq), command), tryTimeout));
    return retried(oneTry, callTimeout)
        .map(b -> {
          byte[] answer = new byte[b.remaining()];
          b.get(answer);
          return answer;
        })
        .doOnSuccess(a -> delivered(seq))
        .doOnError(SessionRefusedException.class, e -> delivered(seq));
  }

  /** Closes the session on the group (its answers are forgotten), retrying as {@link #submit} does. */
  public Mono<Void> close() {
    return retried(Mono.defer(() -> client.toLeader(ClientProtocol.OP_SESSION_CLOSE,
        ClientProtocol.sessionClose(id), tryTimeout)), callTimeout).then();
  }

  /** Every command below this number has had its answer delivered. */
  synchronized long ackedBelow() {
    return unanswered.isEmpty() ? nextSeq : unanswered.first();
  }

  private synchronized void delivered(long seq) {
    unanswered.remove(seq);
  }

  /** {@code oneTry} again after each error that leaves the outcome open, within {@code callTimeout}. */
  static Mono<ByteBuffer> retried(Mono<ByteBuffer> oneTry, Duration callTimeout) {
    return oneTry
        .retryWhen(Retry.backoff(Long.MAX_VALUE, RETRY_MIN).maxBackoff(RETRY_MAX).filter(RemoteSession::worthRetrying))
        .timeout(callTimeout);
  }

  /** Whether a try's error leaves the command's fate open and another try may settle it. */
  static boolean worthRetrying(Throwable e) {
    if (e instanceof NotLeaderException || e instanceof OutcomeUnknownException || e instanceof OverloadedException
        || e instanceof TimeoutException) {
      return true;
    }
    // a member's error or refusal is final; a closed client too; anything else is connection trouble
    return !(e instanceof ClientException) && !(e instanceof IllegalStateException)
        && !(e instanceof IllegalArgumentException);
  }

  static void checkTimeouts(Duration callTimeout, Duration tryTimeout) {
    Objects.requireNonNull(callTimeout, "callTimeout");
    Objects.requireNonNull(tryTimeout, "tryTimeout");
    if (callTimeout.isNegative() || callTimeout.isZero() || tryTimeout.isNegative() || tryTimeout.isZero()) {
      throw new IllegalArgumentException("session timeouts must be positive, were " + callTimeout + " and " + tryTimeout);
    }
    if (tryTimeout.compareTo(callTimeout) > 0) {
      throw new IllegalArgumentException("a try's timeout " + tryTimeout + " exceeds the call's " + callTimeout);
    }
  }

  @Override
  public String toString() {
    return "RemoteSession[" + id + "]";
  }
}

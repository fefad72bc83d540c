package dev.raftflow.engine.session;

import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Mono;

/**
 * A client session opened through {@link ExactlyOnceService#openSession()}: numbers its commands and
 * tells the group which answers it has, so each command is applied at most once however often it is
 * sent. Thread-safe.
 *
 * <p>{@link #submit} fixes the command's number when called; every subscription to the returned
 * {@link Mono} sends that same (session, seq), so retrying it (for example {@code
 * .retryWhen(...)} on {@code NotLeaderException} or {@code OutcomeUnknownException}) is safe: the
 * group applies the command once and answers every try with the first answer. A command given up on
 * (never answered nor refused) holds the acknowledgement mark at its number, so the group keeps the
 * later answers of this session until it closes; close it and open another if you abandon commands.
 */
public final class LocalSession {

  private final ExactlyOnceService service;
  private final long id;
  private final AtomicLong nextSeq = new AtomicLong(1);
  /** Numbers handed out whose answer (or refusal) has not been delivered; guarded by this. */
  private final TreeSet<Long> unanswered = new TreeSet<>();

  LocalSession(ExactlyOnceService service, long id) {
    this.service = service;
    this.id = id;
  }

  /** The session's id: the index of its registration entry. */
  public long id() {
    return id;
  }

  /**
   * Sends {@code command} as this session's next command; completes with its answer once applied
   * (or found applied before). Fails as {@link ExactlyOnceService#submit(long, long, long, byte[])}
   * does. The array must not be modified afterwards.
   */
  public Mono<byte[]> submit(byte[] command) {
    Objects.requireNonNull(command, "command");
    long seq;
    synchronized (this) { // a number is unanswered from the moment it exists
      seq = nextSeq.getAndIncrement();
      unanswered.add(seq);
    }
    return Mono.defer(() -> service.submit(id, seq, Math.min(ackedBelow(), seq), command))
        .doOnSuccess(a -> delivered(seq))
        .doOnError(SessionRefusedException.class, e -> delivered(seq));
  }

  private synchronized void delivered(long seq) {
    unanswered.remove(seq);
  }

  /** Every command below this number has had its answer delivered. */
  synchronized long ackedBelow() {
    return unanswered.isEmpty() ? nextSeq.get() : unanswered.first();
  }

  /** Ends the session (its answers are forgotten); completes once the closing entry is applied. */
  public Mono<Void> close() {
    return service.closeSession(id);
  }

  @Override
  public String toString() {
    return "LocalSession[" + id + ", next " + nextSeq.get() + "]";
  }
}

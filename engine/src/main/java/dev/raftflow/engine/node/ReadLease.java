package dev.raftflow.engine.node;

import dev.raftflow.engine.Membership;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A leader's read lease (Raft thesis §6.4.1), on its own monotonic clock: each renewal is a
 * ReadIndex round the node asks of the core; once a majority confirms it, no other leader can be
 * elected until the round's start plus the election timeout (members that hear a leader refuse
 * votes that long), less the clock-drift bound. While the lease holds, a read is answered at the
 * commit index without a round.
 *
 * <p>Valid only for the term, and the configuration, it was obtained in; void from the moment a
 * leadership transfer starts (the target campaigns without waiting) until two election timeouts
 * after it. Renewals asked before a doubt do not count after it. Loop thread only.
 */
final class ReadLease {

  private final long leaseNanos;
  private final long transferQuietNanos;
  private final LongSupplier clock;
  /** Renewal read id -> when it was asked. */
  private final Map<Long, Long> renewals = new HashMap<>();
  private long expiresAt;
  private long term = -1;
  private Membership membership;
  private long quietUntil;
  private boolean quiet;

  /**
   * @param electionTimeoutNanos the minimum election timeout
   * @param driftPercent how much faster one member's clock may run than another's
   */
  ReadLease(long electionTimeoutNanos, int driftPercent, LongSupplier clock) {
    this.leaseNanos = electionTimeoutNanos * (100 - driftPercent) / 100;
    this.transferQuietNanos = 2 * electionTimeoutNanos;
    this.clock = clock;
  }

  /** Whether a renewal should be asked now: none in flight and the lease is past half its length. */
  boolean renewalDue() {
    return renewals.isEmpty() && !quietNow() && clock.getAsLong() > expiresAt - leaseNanos / 2;
  }

  /** Renewal {@code readId} was asked of the core, leading {@code term} under {@code membership}. */
  void renewalAsked(long readId, long term, Membership membership) {
    if (term != this.term || membership != this.membership) {
      drop();
      this.term = term;
      this.membership = membership;
    }
    renewals.put(readId, clock.getAsLong());
  }

  /** Whether {@code readId} is a renewal (the caller does not hand it to anyone else). */
  boolean isRenewal(long readId) {
    return renewals.containsKey(readId);
  }

  /** A majority confirmed read {@code readId}: if it is a renewal, the lease runs from when it was asked. */
  void confirmed(long readId) {
    Long askedAt = renewals.remove(readId);
    if (askedAt != null && !quietNow()) {
      expiresAt = Math.max(expiresAt, askedAt + leaseNanos);
    }
  }

  /** Read {@code readId} failed (leadership lost). */
  void failed(long readId) {
    if (renewals.remove(readId) != null) {
      drop();
    }
  }

  /** Whether a read may be answered now under the lease: still leading {@code term} under {@code membership}. */
  boolean holds(long term, Membership membership) {
    return term == this.term && membership == this.membership && !quietNow() && clock.getAsLong() < expiresAt;
  }

  /** A leadership transfer starts: no lease until two election timeouts after now. */
  void transferStarted() {
    drop();
    quiet = true;
    quietUntil = clock.getAsLong() + transferQuietNanos;
  }

  /** Any doubt: the lease and the renewals in flight no longer count. */
  void drop() {
    expiresAt = 0;
    renewals.clear();
  }

  private boolean quietNow() {
    if (quiet && clock.getAsLong() - quietUntil >= 0) {
      quiet = false;
    }
    return quiet;
  }
}

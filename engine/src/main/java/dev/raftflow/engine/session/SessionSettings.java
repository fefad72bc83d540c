package dev.raftflow.engine.session;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * How {@link ExactlyOnceService} runs. Every member of a group must use the same {@code
 * sessionTimeout} and {@code maxUnacknowledgedAnswers}: they decide, in log order, which entries are
 * refused (a snapshot carries them too, and a table restored from one keeps the snapshot's).
 *
 * @param sessionTimeout log time without an entry of a session after which it expires (positive);
 *     keep it well above the clock difference between members and a client's longest silence
 * @param maxUnacknowledgedAnswers answers one session may hold that its client has not acknowledged
 * @param snapshotEvery take a snapshot (session table and service) every this many entries; 0: never
 * @param clock the member's clock in ms since the epoch, read when it stamps an entry it proposes
 */
public record SessionSettings(Duration sessionTimeout, int maxUnacknowledgedAnswers, int snapshotEvery,
    LongSupplier clock) {

  public SessionSettings {
    Objects.requireNonNull(sessionTimeout, "sessionTimeout");
    Objects.requireNonNull(clock, "clock");
    if (sessionTimeout.isNegative() || sessionTimeout.isZero()) {
      throw new IllegalArgumentException("sessionTimeout must be positive, was " + sessionTimeout);
    }
    if (maxUnacknowledgedAnswers <= 0) {
      throw new IllegalArgumentException("maxUnacknowledgedAnswers must be positive, was " + maxUnacknowledgedAnswers);
    }
    if (snapshotEvery < 0) {
      throw new IllegalArgumentException("snapshotEvery must be 0 (never) or positive, was " + snapshotEvery);
    }
  }

  /** Sessions expire after 60 s of silence, 1,024 unacknowledged answers each, no snapshots, the system clock. */
  public static SessionSettings defaults() {
    return new SessionSettings(Duration.ofSeconds(60), 1024, 0, System::currentTimeMillis);
  }

  public SessionSettings withSessionTimeout(Duration timeout) {
    return new SessionSettings(timeout, maxUnacknowledgedAnswers, snapshotEvery, clock);
  }

  public SessionSettings withMaxUnacknowledgedAnswers(int max) {
    return new SessionSettings(sessionTimeout, max, snapshotEvery, clock);
  }

  public SessionSettings withSnapshotEvery(int entries) {
    return new SessionSettings(sessionTimeout, maxUnacknowledgedAnswers, entries, clock);
  }

  public SessionSettings withClock(LongSupplier clock) {
    return new SessionSettings(sessionTimeout, maxUnacknowledgedAnswers, snapshotEvery, clock);
  }
}

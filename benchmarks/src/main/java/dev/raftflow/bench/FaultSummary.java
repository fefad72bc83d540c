package dev.raftflow.bench;

import java.util.List;

/**
 * The figures of one fault kind of a {@code failover} run: how many faults, how many were recovered
 * from, the unavailability of the recovered ones at p50, p99 and max (nearest rank, ms) and the
 * leader changes per fault. Immutable.
 */
final class FaultSummary {

  private final int count;
  private final long[] unavailableMs; // recovered faults only, sorted
  private final int[] leaderChanges;
  private final long[] termsRaised;

  FaultSummary(List<FailoverCommand.Outcome> outcomes) {
    count = outcomes.size();
    unavailableMs = outcomes.stream().filter(FailoverCommand.Outcome::recovered)
        .mapToLong(o -> FailoverCommand.ms(o.unavailableNanos())).sorted().toArray();
    leaderChanges = outcomes.stream().mapToInt(FailoverCommand.Outcome::leaderChanges).toArray();
    termsRaised = outcomes.stream().mapToLong(FailoverCommand.Outcome::termsRaised).toArray();
  }

  int unrecovered() {
    return count - unavailableMs.length;
  }

  /** The nearest-rank percentile {@code p} (0..100] of the recovered faults' unavailability, ms; -1 when none. */
  long percentileMs(double p) {
    if (unavailableMs.length == 0) {
      return -1;
    }
    int rank = (int) Math.ceil(p / 100.0 * unavailableMs.length);
    return unavailableMs[Math.max(0, Math.min(unavailableMs.length, rank) - 1)];
  }

  double meanLeaderChanges() {
    int sum = 0;
    for (int c : leaderChanges) {
      sum += c;
    }
    return count == 0 ? 0 : (double) sum / count;
  }

  int maxLeaderChanges() {
    int max = 0;
    for (int c : leaderChanges) {
      max = Math.max(max, c);
    }
    return max;
  }

  /** Faults after which the number of leader changes was not exactly one. */
  int notOneLeaderChange() {
    int n = 0;
    for (int c : leaderChanges) {
      n += c == 1 ? 0 : 1;
    }
    return n;
  }

  /** The most terms one fault raised (a term without a leader is an election that elected nobody). */
  long maxTermsRaised() {
    long max = 0;
    for (long t : termsRaised) {
      max = Math.max(max, t);
    }
    return max;
  }

  /** One human line. */
  String describe(String kind) {
    return String.format("%s: %d faults, %d recovered; unavailable p50 %d ms, p99 %d ms, max %d ms; "
            + "leader changes per fault mean %.2f, max %d (%d faults with other than 1); terms raised max %d",
        kind, count, unavailableMs.length, percentileMs(50), percentileMs(99), percentileMs(100), meanLeaderChanges(),
        maxLeaderChanges(), notOneLeaderChange(), maxTermsRaised());
  }

  /** The RESULT line's value for this kind: {@code count:N,recovered:N,p50_ms:..,p99_ms:..,max_ms:..,...}. */
  String fields() {
    return String.format("count:%d,recovered:%d,p50_ms:%d,p99_ms:%d,max_ms:%d,leader_changes_mean:%.2f,"
            + "leader_changes_max:%d,not_one_leader_change:%d,terms_raised_max:%d",
        count, unavailableMs.length, percentileMs(50), percentileMs(99), percentileMs(100), meanLeaderChanges(),
        maxLeaderChanges(), notOneLeaderChange(), maxTermsRaised());
  }
}

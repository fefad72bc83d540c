package dev.raftflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link FaultSummary}: nearest-rank percentiles of recovered faults only, leader changes and terms raised. */
class FaultSummaryTest {

  private static FailoverCommand.Outcome fault(long ms, int leaderChanges, long termsRaised) {
    return new FailoverCommand.Outcome("isolate-leader", "n1", 5, "n2", 5 + termsRaised,
        ms < 0 ? -1 : TimeUnit.MILLISECONDS.toNanos(ms), leaderChanges);
  }

  @Test
  void percentilesAreNearestRankOverRecoveredFaults() {
    List<FailoverCommand.Outcome> faults = new ArrayList<>();
    for (int i = 100; i >= 1; i--) { // out of order on purpose
      faults.add(fault(i * 10L, 1, 1));
    }
    faults.add(fault(-1, 0, 0)); // not recovered: counted, not in the percentiles
    FaultSummary s = new FaultSummary(faults);
    assertThat(s.percentileMs(50)).isEqualTo(500);
    assertThat(s.percentileMs(99)).isEqualTo(990);
    assertThat(s.percentileMs(100)).isEqualTo(1000);
    assertThat(s.unrecovered()).isEqualTo(1);
    assertThat(s.fields()).startsWith("count:101,recovered:100,p50_ms:500,p99_ms:990,max_ms:1000,");
  }

  @Test
  void leaderChangesOtherThanOneAndTermsRaisedAreCounted() {
    FaultSummary s = new FaultSummary(List.of(fault(700, 1, 1), fault(900, 2, 3), fault(800, 1, 2)));
    assertThat(s.meanLeaderChanges()).isEqualTo(4.0 / 3);
    assertThat(s.maxLeaderChanges()).isEqualTo(2);
    assertThat(s.notOneLeaderChange()).isEqualTo(1);
    assertThat(s.maxTermsRaised()).isEqualTo(3);
    assertThat(s.fields()).endsWith("leader_changes_max:2,not_one_leader_change:1,terms_raised_max:3");
    assertThat(new FaultSummary(List.of()).percentileMs(50)).isEqualTo(-1);
  }
}

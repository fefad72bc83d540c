package dev.raftflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code elections}: its flags are checked before anything starts, and a short run reports every timing. */
class ElectionsCommandTest {

  @Test
  void timingsThatCannotWorkAreRefusedBeforeAnythingStarts() {
    CliTest.Outcome o = CliTest.raftflow("elections", "--timings", "10:5");
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains("--timings 10:5: the election timeout must be longer than the heartbeat");
    assertThat(CliTest.raftflow("elections", "--timings", "fast").err()).contains("HEARTBEAT:ELECTION");
    assertThat(CliTest.raftflow("elections", "--seconds", "0").code()).isEqualTo(2);
  }

  @Test
  void aShortRunReportsOneResultPerTiming() {
    CliTest.Outcome o = CliTest.raftflow("elections", "--seconds", "1", "--timings", "5:15,10:50", "--rate", "20");
    assertThat(o.code()).as(o.err()).isZero();
    List<String> results = o.out().lines().filter(l -> l.startsWith("RESULT command=elections")).toList();
    assertThat(results).hasSize(2);
    assertThat(results.get(0)).contains("timing=5:15").containsPattern("elections=\\d+ per_hour=\\d");
    assertThat(results.get(1)).contains("timing=10:50");
  }
}

package dev.raftflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fairness}: the three phases on one cluster, the hot group really overloaded, a RESULT line of numbers. */
class FairnessCommandTest {

  private static final List<String> NUMERIC = List.of("groups", "conc", "overload", "seconds", "hot_baseline_ops_per_s",
      "hot_capacity_ops_per_s", "hot_offered_ops_per_s", "hot_sent_ops_per_s", "hot_accepted_ops_per_s", "hot_refused",
      "hot_shed", "others_ops_per_s_baseline", "others_ops_per_s_overload", "baseline_p99_us", "overload_p99_us", "p99_ratio",
      "worst_ratio", "starved", "after_p99_us", "after_ratio", "target_ratio", "errors", "proc_cpu_cores_baseline", "proc_cpu_cores_overload",
      "client_cpu_cores_baseline", "client_cpu_cores_overload");

  @Test
  void theHotGroupIsOfferedTenTimesItsCapacityAndTheOthersP99IsCompared(@TempDir Path dir) throws Exception {
    Path report = dir.resolve("fairness.html");
    CliTest.Outcome o = CliTest.raftflow("fairness", "--groups", "4", "--concurrency", "8", "--warmup", "0", "--seconds", "1",
        "--probe-seconds", "1", "--after-seconds", "1", "--storage", "memory", "--report", report.toString());
    assertThat(o.code()).as("exit code; err:%n%s%nout:%n%s", o.err(), o.out()).isZero();
    String result = o.out().lines().filter(l -> l.startsWith("RESULT command=fairness ")).findFirst().orElseThrow();
    Map<String, String> fields = new HashMap<>();
    for (String f : result.substring("RESULT ".length()).split(" ")) {
      fields.put(f.substring(0, f.indexOf('=')), f.substring(f.indexOf('=') + 1));
    }
    for (String name : NUMERIC) {
      assertThat(fields).as(result).containsKey(name);
      assertThat(Double.parseDouble(fields.get(name))).as(name + " in " + result).isFinite().isNotNegative();
    }
    assertThat(fields.get("verdict")).isIn("within", "exceeds");
    assertThat(fields.get("worst_verdict")).isIn("within", "exceeds");
    assertThat(fields.get("worst_group")).matches("g[123]");
    assertThat(fields).containsEntry("groups", "4").containsEntry("overload", "10").containsEntry("errors", "0");

    double capacity = Double.parseDouble(fields.get("hot_capacity_ops_per_s"));
    double offered = Double.parseDouble(fields.get("hot_offered_ops_per_s"));
    double accepted = Double.parseDouble(fields.get("hot_accepted_ops_per_s"));
    long notTaken = Long.parseLong(fields.get("hot_refused")) + Long.parseLong(fields.get("hot_shed"));
    assertThat(capacity).as("the probe measured a capacity").isPositive();
    assertThat(offered).as("g0 offered ten times its capacity").isGreaterThanOrEqualTo(0.9 * 10 * capacity);
    assertThat(accepted).as("g0 committed during the overload").isPositive();
    assertThat((double) notTaken).as("a tenth or more of what g0 was offered was refused by its leader or shed: it was "
        + "offered more than it could take; %s", result).isGreaterThanOrEqualTo(0.1 * offered);
    assertThat(Double.parseDouble(fields.get("others_ops_per_s_overload"))).as("the other groups kept committing").isPositive();
    assertThat(o.out()).containsPattern("(?m)^\\s+g1 .*->.*\\(\\d+\\.\\d\\dx\\)").containsPattern("(?m)^\\s+g3 .*->");
    assertThat(o.out()).containsPattern("(?m)^\\[  1s\\] baseline ").containsPattern("(?m)^\\[  2s\\] probe ")
        .containsPattern("(?m)^\\[  3s\\] overload ").containsPattern("(?m)^\\[  4s\\] after ");
    assertThat(Files.readString(report)).contains("<svg").contains("g0 overloaded");
  }

  @Test
  void refusesASingleGroupAndAnOverloadThatIsNone() {
    CliTest.Outcome one = CliTest.raftflow("fairness", "--groups", "1", "--storage", "memory");
    assertThat(one.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(one.err()).contains("--groups must be between 2 and");
    CliTest.Outcome none = CliTest.raftflow("fairness", "--overload", "1", "--storage", "memory");
    assertThat(none.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(none.err()).contains("--overload must be above 1");
  }
}

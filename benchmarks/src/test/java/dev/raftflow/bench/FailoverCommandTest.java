package dev.raftflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code failover}: flags are checked before anything starts, and a short run with three node
 * processes measures one isolated and one killed leader.
 */
class FailoverCommandTest {

  @Test
  void flagsThatCannotWorkAreRefusedBeforeAnythingStarts() {
    CliTest.Outcome split = CliTest.raftflow("failover", "--faults", "split");
    assertThat(split.code()).isEqualTo(2);
    assertThat(split.err()).contains("--faults split needs --nodes 5");
    assertThat(CliTest.raftflow("failover", "--nodes", "4").err()).contains("--nodes must be 3 or 5, was 4");
    assertThat(CliTest.raftflow("failover", "--faults", "reboot").err()).contains("--faults must be isolate-leader or");
    assertThat(CliTest.raftflow("failover", "--election-ticks", "5", "--heartbeat-ticks", "5").err())
        .contains("--election-ticks (5) must be greater than --heartbeat-ticks (5)");
    assertThat(CliTest.raftflow("failover", "--count", "0").code()).isEqualTo(2);
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void aShortRunMeasuresAnIsolatedAndAKilledLeader() {
    CliTest.Outcome o = CliTest.raftflow("failover", "--nodes", "3", "--clients", "2", "--count", "1", "--settle", "0",
        "--hold-ms", "1500", "--faults", "isolate-leader,kill-leader");
    assertThat(o.code()).as("exit code; printed:%n%s%n%s", o.out(), o.err()).isZero();
    List<String> results = o.out().lines().filter(l -> l.startsWith("RESULT command=failover")).toList();
    assertThat(results).hasSize(1);
    Map<String, String> f = fields(results.get(0));
    assertThat(f).containsEntry("nodes", "3").containsEntry("clients", "2").containsEntry("recovered", "yes");
    assertThat(Long.parseLong(f.get("ops_ok"))).isPositive();
    for (String kind : List.of("isolate-leader", "kill-leader")) {
      Map<String, String> k = subFields(f.get(kind));
      assertThat(k).as(kind).containsEntry("count", "1").containsEntry("recovered", "1");
      long p50 = Long.parseLong(k.get("p50_ms"));
      // a new leader takes at least one election timeout of the defaults (500 ms) and, with
      // the 3 s client timeout, well under 30 s
      assertThat(p50).as(kind + " unavailability").isBetween(1L, 30_000L);
      assertThat(Long.parseLong(k.get("max_ms"))).isEqualTo(p50);
      assertThat(Integer.parseInt(k.get("leader_changes_max"))).as(kind + " leader changes").isBetween(1, 3);
      assertThat(Integer.parseInt(k.get("terms_raised_max"))).as(kind + " terms raised").isBetween(1, 10);
    }
    assertThat(o.out()).containsPattern("isolate-leader 1/1: n\\d \\(term \\d+\\) -> n\\d \\(term \\d+\\): unavailable \\d+ ms");
  }

  private static Map<String, String> fields(String line) {
    Map<String, String> m = new HashMap<>();
    for (String token : line.split(" ")) {
      int eq = token.indexOf('=');
      if (eq > 0) {
        m.put(token.substring(0, eq), token.substring(eq + 1));
      }
    }
    return m;
  }

  private static Map<String, String> subFields(String value) {
    assertThat(value).isNotNull();
    Map<String, String> m = new HashMap<>();
    for (String kv : value.split(",")) {
      String[] p = kv.split(":", 2);
      m.put(p[0], p[1]);
    }
    return m;
  }
}

package dev.raftflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code groups}: one point per group count and log layout, medians, RESULT lines and the report's curves. */
class GroupsCommandTest {

  @Test
  void measuresEachGroupCountWithBothLogLayouts(@TempDir Path dir) throws Exception {
    Path report = dir.resolve("groups.html");
    CliTest.Outcome o = CliTest.raftflow("groups", "--groups", "1,3", "--concurrency", "32", "--warmup", "0", "--seconds",
        "1", "--transport", "memory", "--durability", "os-cache", "--data-dir", dir.resolve("data").toString(),
        "--report", report.toString());
    assertThat(o.code()).as("exit code; err:%n%s%nout:%n%s", o.err(), o.out()).isZero();
    List<String> results = o.out().lines().filter(l -> l.startsWith("RESULT command=groups ")).toList();
    assertThat(results).hasSize(2);
    assertThat(results.get(0)).contains(" groups=1 ").doesNotContain("ops_per_s=0 ");
    assertThat(results.get(1)).contains(" groups=3 ").doesNotContain("ops_per_s=0 ");
    assertThat(Files.readString(report)).contains("<svg").contains("one log per host").contains("one log per group");
  }

  @Test
  void perGroupLogsNeedChronicle() throws Exception {
    CliTest.Outcome o = CliTest.raftflow("groups", "--storage", "memory", "--transport", "memory");
    assertThat(o.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(o.err()).contains("--logs per-group needs --storage chronicle");
  }
}

package dev.raftflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * raftflow.jar's command line, in process: top-level help and version, the default command, exit
 * codes, bounds refused before anything starts, one-line errors with traces only on --verbose.
 */
class CliTest {

  private static final List<String> COMMANDS = List.of("run", "sweep", "overload", "disk", "elections", "failover", "idle-groups", "groups", "fairness", "node", "client");

  /** Output, error output and exit code of one invocation of raftflow.jar's entry point. */
  record Outcome(int code, String out, String err) {
    List<String> errLines() {
      return err.lines().filter(l -> !l.isBlank()).toList();
    }
  }

  static Outcome raftflow(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = Main.execute(cl, args);
    return new Outcome(code, out.toString(), err.toString());
  }

  @Test
  void helpListsEveryCommandOnOneLineEach() {
    for (String flag : List.of("--help", "-h")) {
      Outcome o = raftflow(flag);
      assertThat(o.code()).isZero();
      String commands = o.out().substring(o.out().indexOf("Commands:") + "Commands:".length(), o.out().indexOf("Exit codes:"));
      List<String> lines = commands.lines().filter(l -> !l.isBlank()).toList();
      assertThat(lines).as("one line per command in:%n%s", o.out()).hasSize(COMMANDS.size());
      for (int i = 0; i < COMMANDS.size(); i++) {
        assertThat(lines.get(i)).matches("  " + COMMANDS.get(i) + " +\\S.*").hasSizeLessThanOrEqualTo(80);
      }
      assertThat(o.out()).contains("Exit codes:");
    }
  }

  @Test
  void versionPrintsTheBuildsVersion() {
    for (String flag : List.of("--version", "-V")) {
      Outcome o = raftflow(flag);
      assertThat(o.code()).isZero();
      assertThat(o.out()).startsWith("raftflow " + VersionInfo.current() + System.lineSeparator());
    }
  }

  @Test
  void versionComesFromTheJarsPomProperties(@TempDir Path dir) throws Exception {
    Path props = dir.resolve(VersionInfo.POM_PROPERTIES);
    Files.createDirectories(props.getParent());
    Files.writeString(props, "groupId=dev.raftflow\nartifactId=raftflow-benchmarks\nversion=7.8.9-TEST\n");
    try (var withJar = new java.net.URLClassLoader(new java.net.URL[] {dir.toUri().toURL()}, null);
        var without = new java.net.URLClassLoader(new java.net.URL[0], null)) {
      assertThat(VersionInfo.from(withJar)).isEqualTo("7.8.9-TEST");
      assertThat(VersionInfo.from(without)).isEqualTo(VersionInfo.UNPACKAGED);
    }
  }

  @Test
  void leadingFlagsGoToTheDefaultCommandRun() {
    long t0 = System.nanoTime();
    Outcome o = raftflow("--nodes", "100000");
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).startsWith("raftflow run: --nodes must be between 1 and " + ClusterOptions.MAX_NODES);
    assertThat(System.nanoTime() - t0).as("refused at once").isLessThan(5_000_000_000L);
    assertThat(o.out()).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "run --nodes 100000                          | --nodes must be between 1 and 9",
      "run --nodes 0                               | --nodes must be between 1 and 9",
      "run --size 2000000                          | --size must be between 0 and",
      "run --size -1                               | --size must be between 0 and",
      "run --concurrency 0                         | --concurrency must be between 1 and",
      "run --seconds 0                             | --seconds must be between 1 and",
      "run --warmup -1                             | --warmup must be between 0 and",
      "run --rate -5                               | --rate must be between 0 and",
      "run --max-outstanding 0                     | --max-outstanding must be between 1 and",
      "run --apply-delay-us -1                     | --apply-delay-us must be between 0 and",
      "run --log-entries-in-memory 0               | --log-entries-in-memory must be between 1 and",
      "run --seconds 5 --kill-leader-every 5       | --kill-leader-every must be between 1 and 4",
      "run --client browser                        | --client must be embedded or remote, was browser",
      "run --transport udp                         | --transport must be rsocket or memory, was udp",
      "run --nodes three                           | Invalid value for option '--nodes'",
      "run --no-such-flag                          | Unknown option: '--no-such-flag'",
      "run --profile heap                          | --profile must be cpu or wall or alloc or lock or itimer or ctimer, was heap",
      "run --profile-file x.html                   | --profile-file needs --profile",
      "run --profile cpu --profile-file a,b.html   | the path may not contain a comma",
      "sweep --concurrency 0                       | --concurrency must be between 1 and",
      "sweep --concurrency 1,4,-2                  | --concurrency must be between 1 and",
      "sweep --seconds 0                           | --seconds must be between 1 and",
      "overload --factor -1                        | --factor must be above 0 and at most 100 (offered load as a multiple of capacity), was -1",
      "overload --factor 0                         | --factor must be above 0",
      "overload --factor NaN                       | --factor must be above 0",
      "overload --seconds 0                        | --seconds must be between 1 and",
      "disk --writers 0                            | --writers must be between 1 and 64",
      "disk --size 0                               | --size must be between 1 and",
      "nonsense                                    | Unmatched argument",
  })
  void refusesABadFlagWithOneLineAndExitCode2BeforeStartingAnything(String commandLine, String reason) {
    Outcome o = raftflow(commandLine.trim().split("\\s+"));
    assertThat(o.code()).as("exit code of %s; err:%n%s", commandLine, o.err()).isEqualTo(ExitCodes.USAGE);
    assertThat(o.errLines()).as("error output of %s", commandLine).hasSize(1);
    assertThat(o.err()).contains(reason).doesNotContain("\tat ").doesNotContain("Exception");
    assertThat(o.out()).as("nothing started: no output").isEmpty();
  }

  @Test
  void aCommandOverTheNodesLimitIsRefusedWithTheLimit() throws Exception {
    int limit = 1 << 20; // RaftOptions' default maxCommandBytes
    Outcome o = raftflow("run", "--size", "2000000");
    assertThat(o.err()).contains("--size must be between 0 and ").contains("the largest command a node accepts");
    // between the store's entry limit (a quarter of a 4 MiB block, less headers) and the engine's limit
    Outcome store = raftflow("run", "--size", String.valueOf(limit - 10));
    assertThat(store.code()).isEqualTo(2);
    assertThat(store.err()).contains("the Chronicle store's entry limit");
    Outcome memory = raftflow("run", "--storage", "memory", "--size", String.valueOf(limit + 1));
    assertThat(memory.err()).contains("--size must be between 0 and " + limit);
  }

  @Test
  void everyBenchmarkCommandDocumentsItsExitCodes() {
    for (String name : List.of("run", "sweep", "overload", "disk")) {
      Outcome o = raftflow(name, "--help");
      assertThat(o.code()).isZero();
      assertThat(o.out()).as(name).contains("Exit codes:").containsPattern("(?m)^\\s+0\\s+success")
          .containsPattern("(?m)^\\s+1\\s+\\S").containsPattern("(?m)^\\s+2\\s+invalid command line");
    }
  }

  @Test
  void aFailureWhileRunningIsOneLineUnlessVerbose(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("plain-file"), "x");
    String[] args = {"disk", "--seconds", "1", "--writers", "1", "--dir", file.resolve("sub").toString()};
    Outcome quiet = raftflow(args);
    assertThat(quiet.code()).isEqualTo(ExitCodes.FAILED);
    assertThat(quiet.errLines()).hasSize(1);
    assertThat(quiet.err()).startsWith("raftflow disk failed: ").contains("plain-file").contains("--verbose").doesNotContain("\tat ");

    String[] verboseArgs = Arrays.copyOf(args, args.length + 1);
    verboseArgs[args.length] = "--verbose";
    Outcome verbose = raftflow(verboseArgs);
    assertThat(verbose.code()).isEqualTo(ExitCodes.FAILED);
    assertThat(verbose.err()).contains("\tat ");
  }

  @Test
  void verboseShowsTheTraceOfARefusalToo() {
    Outcome o = raftflow("sweep", "--verbose", "--concurrency", "0");
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains("--concurrency must be between").contains("\tat ");
  }
}

package dev.raftflow.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.testkit.FreePorts;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code client} through picocli in this JVM, against one single-member {@code node} run in this
 * JVM too: exit codes when nothing answers or a member named is not one, one-line errors, and
 * commands proposed from a file or standard input.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientCommandTest {

  @TempDir
  static Path dir;

  private static InProcessCommand node;
  private static String endpoint;

  @BeforeAll
  static void startNode() throws Exception {
    node = InProcessCommand.start(new NodeCommand(), "--id", "n1", "--listen", "127.0.0.1:0", "--client-listen",
        "127.0.0.1:0", "--data-dir", dir.resolve("n1").toString(), "--record-commands");
    Matcher m = Pattern.compile("client=([^ ]+)").matcher(node.awaitLine("READY .*"));
    assertThat(m.find()).isTrue();
    endpoint = "n1=" + m.group(1);
    node.awaitLine("STATE id=n1 .*role=LEADER.*");
  }

  @AfterAll
  static void stopNode() throws Exception {
    node.close();
  }

  @Test
  void stateFailsWhenNothingAnswersAndSaysWhenSomeDoNot() throws Exception {
    String nobody = "n1=127.0.0.1:" + FreePorts.forServer() + ",n2=127.0.0.1:" + FreePorts.forServer();
    InProcessCommand none = InProcessCommand.run(new ClientCommand(), "--endpoints", nobody, "--state");
    assertThat(none.exitCode()).isEqualTo(1);
    assertThat(none.err()).contains("no member answered");

    InProcessCommand some = InProcessCommand.run(new ClientCommand(), "--endpoints",
        endpoint + ",n2=127.0.0.1:" + FreePorts.forServer(), "--state");
    assertThat(some.exitCode()).isEqualTo(ClientCommand.SOME_UNREACHABLE);
    assertThat(some.out()).contains("n1 term=").contains("n2 unreachable");

    InProcessCommand all = InProcessCommand.run(new ClientCommand(), "--endpoints", endpoint, "--state");
    assertThat(all.exitCode()).isZero();
  }

  @Test
  void addingAVoterThatIsNotRunningIsRefusedWithTheReason() throws Exception {
    // issue 12, case 1: on a one-voter group this used to stall every commit until n5 started
    InProcessCommand c = InProcessCommand.run(new ClientCommand(), "--endpoints", endpoint, "--add-member",
        "n5=127.0.0.1:" + FreePorts.forServer());
    assertThat(c.exitCode()).isEqualTo(1);
    assertThat(c.out()).doesNotContain("added");
    assertThat(c.err()).contains("not heard: [n5]").contains("force the change");
    InProcessCommand still = InProcessCommand.run(new ClientCommand(), "--endpoints", endpoint, "--propose", "after");
    assertThat(still.exitCode()).as("the group still commits").isZero();
  }

  @Test
  void forceAddsTheVoterAnyway() throws Exception {
    InProcessCommand own = InProcessCommand.start(new NodeCommand(), "--id", "m1", "--listen", "127.0.0.1:0",
        "--client-listen", "127.0.0.1:0", "--data-dir", dir.resolve("m1").toString());
    try {
      Matcher m = Pattern.compile("client=([^ ]+)").matcher(own.awaitLine("READY .*"));
      assertThat(m.find()).isTrue();
      own.awaitLine("STATE id=m1 .*role=LEADER.*");
      // the client waits (daemon thread) for a commit that cannot come; the node shows the change went in
      InProcessCommand.start(new ClientCommand(), "--endpoints", "m1=" + m.group(1),
          "--add-member", "m5=127.0.0.1:" + FreePorts.forServer(), "--force");
      own.awaitLine("MEMBERS id=m1 voters=\\[m1, m5\\] outgoing=\\[m1\\].*");
    } finally {
      own.close();
    }
  }

  @Test
  void removingANonMemberIsAnError() throws Exception {
    InProcessCommand c = InProcessCommand.run(new ClientCommand(), "--endpoints", endpoint, "--remove-member", "n7");
    assertThat(c.exitCode()).isEqualTo(1);
    assertThat(c.out()).doesNotContain("removed");
    assertThat(c.err()).contains("'n7'").contains("not a member").contains("voters=[n1]");
  }

  @Test
  void transferringToAnUnknownIdIsOneClearLine() throws Exception {
    InProcessCommand c = InProcessCommand.run(new ClientCommand(), "--endpoints", endpoint, "--transfer-to", "n7");
    assertThat(c.exitCode()).isEqualTo(1);
    assertThat(c.err()).contains("'n7'").contains("not a voter").doesNotContain("\tat ").doesNotContain("Exception");
    assertThat(c.out()).doesNotContain("leadership moved");
  }

  @Test
  void malformedEndpointsAreOneLineAndVerboseShowsTheTrace() throws Exception {
    InProcessCommand c = InProcessCommand.run(new ClientCommand(), "--endpoints", "n1=127.0.0.1:x", "--state");
    assertThat(c.exitCode()).isEqualTo(2);
    assertThat(c.err().strip().lines()).as(c.err()).hasSize(1);
    assertThat(c.err()).contains("--endpoints").contains("127.0.0.1:x").doesNotContain("\tat ");

    InProcessCommand verbose = InProcessCommand.run(new ClientCommand(), "--endpoints", "n1=127.0.0.1:x", "--state",
        "--verbose");
    assertThat(verbose.exitCode()).isEqualTo(2);
    assertThat(verbose.err()).contains("\tat ");
  }

  @Test
  void proposesEachLineOfAFile() throws Exception {
    Path file = Files.writeString(dir.resolve("commands.txt"), "alpha\n\nbeta\ngamma\n");
    InProcessCommand c = InProcessCommand.run(new ClientCommand(), "--endpoints", endpoint, "--propose-file",
        file.toString());
    assertThat(c.exitCode()).as(c.err()).isZero();
    assertThat(c.out().lines().filter(l -> l.startsWith("committed index=")).count()).isEqualTo(3);
    assertThat(appliedAt(lastIndex(c.out()) - 2)).isEqualTo("alpha");
    assertThat(appliedAt(lastIndex(c.out()))).isEqualTo("gamma");

    InProcessCommand missing = InProcessCommand.run(new ClientCommand(), "--endpoints", endpoint, "--propose-file",
        dir.resolve("no-such-file").toString());
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("no-such-file");
  }

  @Test
  void proposesEachLineOfStandardInput() throws Exception {
    ClientCommand command = new ClientCommand();
    command.stdin = new ByteArrayInputStream("one\ntwo\n".getBytes(StandardCharsets.UTF_8));
    InProcessCommand c = InProcessCommand.run(command, "--endpoints", endpoint, "--propose-file", "-");
    assertThat(c.exitCode()).as(c.err()).isZero();
    assertThat(c.out().lines().filter(l -> l.startsWith("committed index=")).count()).isEqualTo(2);
    assertThat(appliedAt(lastIndex(c.out()))).isEqualTo("two");
  }

  private static long lastIndex(String out) {
    Matcher m = Pattern.compile("committed index=(\\d+)").matcher(out);
    long last = -1;
    while (m.find()) {
      last = Long.parseLong(m.group(1));
    }
    return last;
  }

  private static String appliedAt(long index) {
    try (dev.raftflow.client.RemoteClient client = new dev.raftflow.client.RemoteClient(NodeCommand.parsePeers(endpoint))) {
      return new String(client.read("n1", index).block(java.time.Duration.ofSeconds(5)), StandardCharsets.UTF_8);
    }
  }

}

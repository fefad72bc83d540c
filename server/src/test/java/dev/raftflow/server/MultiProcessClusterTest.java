package dev.raftflow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.client.ClientException;
import dev.raftflow.client.Membership;
import dev.raftflow.client.NodeStatus;
import dev.raftflow.client.NotLeaderException;
import dev.raftflow.client.Position;
import dev.raftflow.client.RemoteClient;
import dev.raftflow.testkit.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Three {@code node} processes (RSocket + Chronicle, fsync on); a client writes while the leader is
 * killed with SIGKILL. A new leader takes over, every write acknowledged as committed is present on
 * the survivors, and the killed node, restarted from its directory, catches up with all of them.
 * Then, over the client protocol, a linearizable read point covers every acknowledged write and
 * leadership is moved to a chosen member.
 *
 * <p>Membership: a fourth node started with {@code --join} is added as a learner, then promoted,
 * over the client protocol; an original member is removed with the {@code client} command; the
 * rest go on committing, and a member restarted with its original {@code --peers} finds the new
 * member's address in its own log.
 */
class MultiProcessClusterTest {

  private final Map<String, Process> processes = new ConcurrentHashMap<>();
  private final Map<String, List<String>> commands = new LinkedHashMap<>();
  private final Map<String, Integer> peerPorts = new LinkedHashMap<>();
  private final Map<String, InetSocketAddress> clientEndpoints = new LinkedHashMap<>();
  /** Everything each node printed (stdout and stderr) since it was last launched. */
  private final Map<String, StringBuffer> outputs = new ConcurrentHashMap<>();

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void killingTheLeaderLosesNoAcknowledgedWrite(@TempDir Path dir) throws Exception {
    List<String> ids = List.of("n1", "n2", "n3");
    startGroup(ids, ids, dir);
    try (RemoteClient client = new RemoteClient(clientEndpoints)) {
      Map<Long, String> acked = new ConcurrentHashMap<>();
      AtomicBoolean writing = new AtomicBoolean(true);
      Thread writer = new Thread(() -> {
        int i = 0;
        while (writing.get()) {
          String cmd = "w-" + i;
          try {
            Position p = client.propose(cmd.getBytes(StandardCharsets.UTF_8)).block(Duration.ofSeconds(3));
            acked.put(p.index(), cmd);
            i++;
          } catch (RuntimeException e) {
            sleep(20); // not the leader, or no leader yet: try again (a fresh command next time is fine too)
            i++;
          }
        }
      }, "writer");
      writer.start();

      await(() -> acked.size() >= 200, "200 acknowledged writes");
      String leader = leaderOf(client, ids);
      long ackedBeforeKill = acked.size();
      processes.get(leader).destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL
      await(() -> acked.size() >= ackedBeforeKill + 200, "200 more writes under a new leader");
      String newLeader = leaderOf(client, ids.stream().filter(id -> !id.equals(leader)).toList());
      assertThat(newLeader).isNotEqualTo(leader);

      launch(leader); // restart from its data directory
      await(() -> acked.size() >= ackedBeforeKill + 300, "writes after the restart");
      writing.set(false);
      writer.join(10_000);

      long maxIndex = acked.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
      for (String id : ids) {
        await(() -> applied(client, id) >= maxIndex, id + " to apply up to " + maxIndex);
      }
      for (Map.Entry<Long, String> w : acked.entrySet()) {
        for (String id : ids) {
          assertCommandAt(client, id, w.getKey(), w.getValue());
        }
      }

      // over the client protocol: a linearizable read point covers every acknowledged write, and
      // leadership can be moved to a chosen member
      String current = leaderOf(client, ids);
      assertThat(client.readIndex(current).block(Duration.ofSeconds(5))).isGreaterThanOrEqualTo(maxIndex);
      String target = ids.stream().filter(id -> !id.equals(current)).findFirst().orElseThrow();
      client.transferLeadership(current, target).block(Duration.ofSeconds(10));
      assertThat(leaderOf(client, ids)).isEqualTo(target);
    } finally {
      processes.values().forEach(Process::destroyForcibly);
    }
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void aJoiningMemberIsAddedAndPromotedAndAnOriginalOneRemoved(@TempDir Path dir) throws Exception {
    List<String> original = List.of("n1", "n2", "n3");
    List<String> all = List.of("n1", "n2", "n3", "n4");
    List<String> remaining = List.of("n2", "n3", "n4");
    startGroup(all, original, dir);
    try (RemoteClient client = new RemoteClient(clientEndpoints)) {
      Map<Long, String> acked = new LinkedHashMap<>();
      for (int i = 0; i < 20; i++) {
        acked.put(proposeUntilCommitted(client, "before-" + i).index(), "before-" + i);
      }

      // n4 joins: its --peers are the group's members, and it is not a voter of its own accord
      startJoining("n4", all, dir);
      String n4 = "127.0.0.1:" + peerPorts.get("n4");

      String leader = leaderOf(client, original);
      String follower = original.stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
      assertThatThrownBy(() -> client.addMember(follower, "n4", n4, true).block(Duration.ofSeconds(5)))
          .isInstanceOf(NotLeaderException.class);
      assertThatThrownBy(() -> client.addMember(leader, "n4", "no-port", true).block(Duration.ofSeconds(5)))
          .isInstanceOf(ClientException.class).hasMessageContaining("host:port");

      Membership asLearner = client.addMember(leader, "n4", n4, true).block(Duration.ofSeconds(20));
      assertThat(asLearner).isEqualTo(Membership.of(Set.copyOf(original), Set.of("n4")));
      long last = acked.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
      await(() -> applied(client, "n4") >= last, "n4 to apply up to " + last);
      for (Map.Entry<Long, String> w : acked.entrySet()) {
        assertCommandAt(client, "n4", w.getKey(), w.getValue());
      }

      Membership asVoter = client.addMember(leaderOf(client, original), "n4", n4, false).block(Duration.ofSeconds(20));
      assertThat(asVoter).isEqualTo(Membership.ofVoters(all));
      for (String id : all) {
        await(() -> Membership.ofVoters(all).equals(membershipOf(client, id)), id + " to see n4 as a voter");
      }

      // n1 leaves, through the client command (whichever member leads)
      String out = runClient("--endpoints", endpointSpec(clientEndpoints), "--remove-member", "n1");
      assertThat(out).startsWith("removed n1 via ").contains("voters=[n2, n3, n4] outgoing=[] learners=[]");
      for (String id : remaining) {
        await(() -> Membership.ofVoters(remaining).equals(membershipOf(client, id)), id + " to see n1 removed");
      }
      assertThat(new CommandLine(new ClientCommand()).execute("--endpoints", endpointSpec(clientEndpoints),
          "--add-member", "n5")).as("exit code of a malformed --add-member").isNotZero();

      // n4 leads; n2 restarts with its original --peers (no n4) and finds n4's address in its log
      String current = leaderOf(client, remaining);
      if (!current.equals("n4")) {
        client.transferLeadership(current, "n4").block(Duration.ofSeconds(10));
      }
      processes.get("n2").destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      launch("n2");
      Position p = proposeUntilCommitted(client, "after-removal");
      for (String id : remaining) {
        await(() -> applied(client, id) >= p.index(), id + " to apply up to " + p.index());
        assertCommandAt(client, id, p.index(), "after-removal");
      }
    } finally {
      processes.values().forEach(Process::destroyForcibly);
    }
  }

  /**
   * n3 is down while n4 is added and made leader; restarted with its original --peers, n3 knows
   * neither n4's address nor the entries holding it, which only n4 can send it: restarted with
   * {@code --allow-joiners}, it takes n4's connection.
   */
  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void aMemberDownWhileANewLeaderJoinedCatchesUpFromIt(@TempDir Path dir) throws Exception {
    List<String> original = List.of("n1", "n2", "n3");
    List<String> all = List.of("n1", "n2", "n3", "n4");
    startGroup(all, original, dir);
    try (RemoteClient client = new RemoteClient(clientEndpoints)) {
      proposeUntilCommitted(client, "before");
      if (leaderOf(client, original).equals("n3")) {
        client.transferLeadership("n3", "n1").block(Duration.ofSeconds(10));
        await(() -> !"n3".equals(leaderOf(client, original)), "n3 to hand over");
      }
      processes.get("n3").destroyForcibly().waitFor(10, TimeUnit.SECONDS);

      startJoining("n4", all, dir);
      String n4 = "127.0.0.1:" + peerPorts.get("n4");
      List<String> up = List.of("n1", "n2");
      await(() -> addMember(client, up, "n4", n4, true), "n4 added as a learner");
      await(() -> addMember(client, up, "n4", n4, false), "n4 promoted");
      await(() -> {
        try {
          client.transferLeadership(leaderOf(client, List.of("n1", "n2", "n4")), "n4").block(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
          // leadership moved meanwhile: ask again
        }
        return isLeader(client, "n4");
      }, "n4 to lead");

      // n4 dials n3 first and n3 does not know it: only a member that allows joiners takes it
      List<String> n3 = new ArrayList<>(commands.get("n3"));
      n3.add("--allow-joiners");
      commands.put("n3", n3);
      launch("n3");
      Position p = proposeUntilCommitted(client, "after");
      await(() -> applied(client, "n3") >= p.index(), "n3 to apply up to " + p.index());
      assertCommandAt(client, "n3", p.index(), "after");
      assertThat(membershipOf(client, "n3")).isEqualTo(Membership.ofVoters(all));
      assertThat(isLeader(client, "n4")).as("n4 still leads").isTrue();
    } finally {
      processes.values().forEach(Process::destroyForcibly);
    }
  }

  /**
   * A node started with the wrong --cluster-id says itself, in its own output, why its peer
   * refuses it (before, only the refusing peer logged it).
   */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aNodeItsPeerRefusesSaysWhy(@TempDir Path dir) throws Exception {
    List<String> ids = List.of("n1", "n2");
    for (String id : ids) {
      peerPorts.put(id, FreePorts.forServer());
      clientEndpoints.put(id, new InetSocketAddress("127.0.0.1", FreePorts.forServer()));
    }
    commands.put("n1", nodeArgs("n1", ids, dir));
    List<String> n2 = new ArrayList<>(nodeArgs("n2", ids, dir));
    n2.addAll(List.of("--cluster-id", "other"));
    commands.put("n2", n2);
    try {
      launch("n1");
      launch("n2");
      await(() -> outputs.get("n2").toString().contains("belongs to cluster 'other', this is 'raftflow'"),
          "n2 to say why n1 refuses it; n2 printed: " + outputs.get("n2"));
      assertThat(outputs.get("n2").toString()).contains("n2: peer 'n1' refuses this node");
    } finally {
      processes.values().forEach(Process::destroyForcibly);
    }
  }

  /** One try at adding {@code id} through whichever of {@code candidates} leads; true when done. */
  private static boolean addMember(RemoteClient client, List<String> candidates, String id, String hostPort,
      boolean learner) {
    try {
      client.addMember(leaderOf(client, candidates), id, hostPort, learner).block(Duration.ofSeconds(20));
      return true;
    } catch (RuntimeException e) {
      sleep(50); // not the leader (any more), or no leader yet
      return false;
    }
  }

  private static boolean isLeader(RemoteClient client, String id) {
    try {
      return client.state(id).block(Duration.ofSeconds(2)).isLeader();
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Picks ports for every one of {@code ids}, then starts the nodes of {@code group}, each knowing the others. */
  private void startGroup(List<String> ids, List<String> group, Path dir) throws IOException, InterruptedException {
    for (String id : ids) {
      peerPorts.put(id, FreePorts.forServer());
      clientEndpoints.put(id, new InetSocketAddress("127.0.0.1", FreePorts.forServer()));
    }
    for (String id : group) {
      commands.put(id, nodeArgs(id, group, dir));
      launch(id);
    }
  }

  /** Starts {@code id} with {@code --join}, its --peers being the other ones of {@code group}. */
  private void startJoining(String id, List<String> group, Path dir) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(nodeArgs(id, group, dir));
    args.add("--join");
    commands.put(id, args);
    launch(id);
  }

  /** Node {@code id} applied {@code expected} at {@code index} (nodes run with --record-commands). */
  private static void assertCommandAt(RemoteClient client, String id, long index, String expected) {
    byte[] got = client.read(id, index).block(Duration.ofSeconds(3));
    assertThat(new String(got, StandardCharsets.UTF_8)).as("%s at index %d", id, index).isEqualTo(expected);
  }

  /** The {@code node} arguments of {@code id}, its --peers being the other ones of {@code group}. */
  private List<String> nodeArgs(String id, List<String> group, Path dir) {
    StringBuilder peers = new StringBuilder();
    for (String other : group) {
      if (!other.equals(id)) {
        peers.append(peers.length() == 0 ? "" : ",").append(other).append("=127.0.0.1:").append(peerPorts.get(other));
      }
    }
    return List.of("--id", id, "--listen", "127.0.0.1:" + peerPorts.get(id),
        "--client-listen", "127.0.0.1:" + clientEndpoints.get(id).getPort(), "--peers", peers.toString(),
        "--data-dir", dir.resolve(id).toString(), "--record-commands");
  }

  private static String endpointSpec(Map<String, InetSocketAddress> endpoints) {
    StringBuilder s = new StringBuilder();
    endpoints.forEach((id, a) -> s.append(s.length() == 0 ? "" : ",").append(id).append("=127.0.0.1:").append(a.getPort()));
    return s.toString();
  }

  /** Runs the {@code client} command in this JVM; returns what it printed, failing on a non-zero exit. */
  private static String runClient(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = new CommandLine(new ClientCommand()).execute(args);
    } finally {
      System.setOut(old);
    }
    String out = buf.toString(StandardCharsets.UTF_8).trim();
    assertThat(code).as("exit code of client %s (printed: %s)", List.of(args), out).isZero();
    return out;
  }

  /** Proposes {@code cmd} until a leader has committed and applied it. */
  private static Position proposeUntilCommitted(RemoteClient client, String cmd) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        return client.propose(cmd.getBytes(StandardCharsets.UTF_8)).block(Duration.ofSeconds(3));
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("could not commit " + cmd, e);
        }
        sleep(20); // not the leader, or no leader yet
      }
    }
  }

  private static Membership membershipOf(RemoteClient client, String id) {
    try {
      return client.membership(id).block(Duration.ofSeconds(2));
    } catch (RuntimeException e) {
      return null;
    }
  }

  private void launch(String id) throws IOException, InterruptedException {
    StringBuffer output = new StringBuffer();
    outputs.put(id, output);
    processes.put(id, NodeProcess.launch(id, commands.get(id), output));
  }

  private static String leaderOf(RemoteClient client, List<String> candidates) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      for (String id : candidates) {
        try {
          NodeStatus s = client.state(id).block(Duration.ofSeconds(2));
          if (s.isLeader()) {
            return id;
          }
        } catch (RuntimeException e) {
          // down or restarting
        }
      }
      sleep(50);
    }
    throw new AssertionError("no leader among " + candidates);
  }

  private static long applied(RemoteClient client, String id) {
    try {
      return client.state(id).block(Duration.ofSeconds(2)).appliedIndex();
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private static void await(java.util.function.BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      sleep(20);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package dev.raftflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.bench.remote.RemoteClient;
import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.NodeState;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three {@code node} processes (RSocket + Chronicle, fsync on); a client writes while the leader is
 * killed with SIGKILL. A new leader takes over, every write acknowledged as committed is present on
 * the survivors, and the killed node, restarted from its directory, catches up with all of them.
 * Then, over the client protocol, a linearizable read point covers every acknowledged write and
 * leadership is moved to a chosen member.
 */
class MultiProcessClusterTest {

  private final Map<String, Process> processes = new ConcurrentHashMap<>();
  private final Map<String, List<String>> commands = new LinkedHashMap<>();

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void killingTheLeaderLosesNoAcknowledgedWrite(@TempDir Path dir) throws Exception {
    List<String> ids = List.of("n1", "n2", "n3");
    Map<String, Integer> peerPorts = new LinkedHashMap<>();
    Map<String, InetSocketAddress> clientEndpoints = new LinkedHashMap<>();
    for (String id : ids) {
      peerPorts.put(id, freePort());
      clientEndpoints.put(id, new InetSocketAddress("127.0.0.1", freePort()));
    }
    for (String id : ids) {
      StringBuilder peers = new StringBuilder();
      for (String other : ids) {
        if (!other.equals(id)) {
          peers.append(peers.length() == 0 ? "" : ",").append(other).append("=127.0.0.1:").append(peerPorts.get(other));
        }
      }
      commands.put(id, List.of("node", "--id", id, "--listen", "127.0.0.1:" + peerPorts.get(id),
          "--client-listen", "127.0.0.1:" + clientEndpoints.get(id).getPort(), "--peers", peers.toString(),
          "--data-dir", dir.resolve(id).toString(), "--record-commands"));
      launch(id);
    }
    try (RemoteClient client = new RemoteClient(clientEndpoints)) {
      Map<Long, String> acked = new ConcurrentHashMap<>();
      AtomicBoolean writing = new AtomicBoolean(true);
      Thread writer = new Thread(() -> {
        int i = 0;
        while (writing.get()) {
          String cmd = "w-" + i;
          try {
            LogPosition p = client.propose(cmd.getBytes(StandardCharsets.UTF_8)).block(Duration.ofSeconds(3));
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
          byte[] got = client.read(id, w.getKey()).block(Duration.ofSeconds(3));
          assertThat(new String(got, StandardCharsets.UTF_8)).as("%s at index %d", id, w.getKey()).isEqualTo(w.getValue());
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

  private void launch(String id) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-Dchronicle.analytics.disable=true");
    for (String flag : System.getProperty("chronicle.jvm.flags", "").split("\\s+")) {
      if (!flag.isBlank()) {
        cmd.add(flag);
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(commands.get(id));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    processes.put(id, p);
    CountDownLatch ready = new CountDownLatch(1);
    Thread pump = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (line.startsWith("READY")) {
            ready.countDown();
          }
          if (line.contains("ERROR") || line.contains("Exception")) {
            System.out.println("[" + id + "] " + line);
          }
        }
      } catch (IOException e) {
        // process gone
      }
    }, "out-" + id);
    pump.setDaemon(true);
    pump.start();
    assertThat(ready.await(30, TimeUnit.SECONDS)).as("%s printed READY", id).isTrue();
  }

  private static String leaderOf(RemoteClient client, List<String> candidates) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      for (String id : candidates) {
        try {
          NodeState s = client.state(id).block(Duration.ofSeconds(2));
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

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
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

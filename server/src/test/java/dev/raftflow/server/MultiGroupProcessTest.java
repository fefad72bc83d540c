package dev.raftflow.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.client.Position;
import dev.raftflow.client.RemoteClient;
import dev.raftflow.testkit.FreePorts;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three {@code node --groups 64} processes (one RSocket connection per pair, one Chronicle log per
 * process, fsync on): clients write to every group while one process is killed with SIGKILL and
 * later restarted from its directory. Every write acknowledged in any group is afterwards present,
 * at its index, on every member of that group.
 */
class MultiGroupProcessTest {

  private static final int GROUPS = 64;
  private static final List<String> IDS = List.of("n1", "n2", "n3");
  private final Map<String, Process> processes = new ConcurrentHashMap<>();
  private final Map<String, List<String>> args = new LinkedHashMap<>();
  private final Map<String, InetSocketAddress> endpoints = new LinkedHashMap<>();

  @AfterEach
  void kill() {
    processes.values().forEach(Process::destroyForcibly);
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void killingAProcessLosesNoAcknowledgedWriteInAnyGroup(@TempDir Path dir) throws Exception {
    Map<String, Integer> peerPorts = new LinkedHashMap<>();
    for (String id : IDS) {
      peerPorts.put(id, FreePorts.forServer());
      endpoints.put(id, new InetSocketAddress("127.0.0.1", FreePorts.forServer()));
    }
    for (String id : IDS) {
      StringBuilder peers = new StringBuilder();
      for (String other : IDS) {
        if (!other.equals(id)) {
          peers.append(peers.length() == 0 ? "" : ",").append(other).append("=127.0.0.1:").append(peerPorts.get(other));
        }
      }
      args.put(id, List.of("--id", id, "--listen", "127.0.0.1:" + peerPorts.get(id), "--client-listen",
          "127.0.0.1:" + endpoints.get(id).getPort(), "--peers", peers.toString(), "--data-dir",
          dir.resolve(id).toString(), "--groups", String.valueOf(GROUPS), "--record-commands"));
      processes.put(id, NodeProcess.launch(id, args.get(id), new StringBuffer()));
    }
    List<RemoteClient> clients = new ArrayList<>();
    for (int g = 0; g < GROUPS; g++) {
      clients.add(new RemoteClient(endpoints, "g" + g));
    }
    // group -> index -> command acknowledged there
    List<Map<Long, String>> acked = new ArrayList<>();
    for (int g = 0; g < GROUPS; g++) {
      acked.add(new ConcurrentHashMap<>());
    }
    AtomicBoolean writing = new AtomicBoolean(true);
    List<Thread> writers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      int first = w;
      Thread t = new Thread(() -> {
        int i = 0;
        while (writing.get()) {
          for (int g = first; g < GROUPS && writing.get(); g += 4) {
            String cmd = "g" + g + "-w" + i;
            try {
              Position p = clients.get(g).propose(cmd.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(2))
                  .block(Duration.ofSeconds(3));
              acked.get(g).put(p.index(), cmd);
            } catch (RuntimeException e) {
              // no leader yet, or the outcome is unknown: this command is not counted
            }
          }
          i++;
        }
      }, "writer-" + w);
      t.start();
      writers.add(t);
    }
    Thread.sleep(4_000);
    processes.get("n1").destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL
    Thread.sleep(4_000);
    processes.put("n1", NodeProcess.launch("n1", args.get("n1"), new StringBuffer()));
    Thread.sleep(3_000);
    writing.set(false);
    for (Thread t : writers) {
      t.join(10_000);
    }
    long total = acked.stream().mapToLong(Map::size).sum();
    long groupsWritten = acked.stream().filter(m -> !m.isEmpty()).count();
    System.out.printf("multi-group processes: %d writes acknowledged over %d groups%n", total, groupsWritten);
    assertThat(groupsWritten).as("every group took writes").isEqualTo(GROUPS);
    for (int g = 0; g < GROUPS; g++) {
      RemoteClient c = clients.get(g);
      long top = acked.get(g).keySet().stream().mapToLong(Long::longValue).max().orElse(0);
      for (String id : IDS) {
        awaitApplied(c, id, top, "g" + g);
        for (Map.Entry<Long, String> w : acked.get(g).entrySet()) {
          byte[] got = c.read(id, w.getKey()).block(Duration.ofSeconds(3));
          assertThat(new String(got, StandardCharsets.UTF_8)).as("g%d on %s at %d", g, id, w.getKey())
              .isEqualTo(w.getValue());
        }
      }
    }
    clients.forEach(RemoteClient::close);
  }

  private static void awaitApplied(RemoteClient c, String id, long index, String group) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        if (c.state(id).block(Duration.ofSeconds(2)).appliedIndex() >= index) {
          return;
        }
      } catch (RuntimeException e) {
        // restarting
      }
      assertThat(System.nanoTime()).as("%s on %s applied %d", group, id, index).isLessThan(deadline);
      Thread.sleep(20);
    }
  }
}

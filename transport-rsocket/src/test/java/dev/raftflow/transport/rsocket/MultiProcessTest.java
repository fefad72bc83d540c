package dev.raftflow.transport.rsocket;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.testkit.FreePorts;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes in three JVMs ({@link ClusterNodeMain}) on 127.0.0.1: a client writes through the
 * leader, the leader is killed with SIGKILL mid-stream, a new leader is elected, every write that
 * was acknowledged as committed is on both survivors, and the killed node, restarted on its port,
 * catches up with all of them.
 */
@Timeout(120)
class MultiProcessTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path logs;

  /** A child JVM and what it has reported. */
  final class Child {
    final String id;
    final Process process;
    final PrintWriter stdin;
    volatile String role = "FOLLOWER";
    volatile long term;
    final Map<Long, String> applied = new ConcurrentHashMap<>();

    Child(String id, String ports) throws IOException {
      this.id = id;
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      File err = logs.resolve(id + "-" + System.nanoTime() + ".log").toFile();
      process = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1",
          "-cp", System.getProperty("java.class.path"), ClusterNodeMain.class.getName(), id, ports)
          .redirectError(err).start();
      stdin = new PrintWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8), true);
      Thread reader = new Thread(this::read, "child-" + id);
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          String[] f = line.split(" ");
          switch (f[0]) {
            case "state" -> {
              term = Long.parseLong(f[2]);
              role = f[1];
            }
            case "applied" -> {
              String prior = applied.putIfAbsent(Long.parseLong(f[1]), f[2]);
              if (prior != null && !prior.equals(f[2])) {
                problems.add(id + " applied two values at " + f[1]);
              }
            }
            case "committed" -> acked.put(f[1], Long.parseLong(f[2]));
            default -> { }
          }
        }
      } catch (IOException ignored) {
        // the process died
      }
    }

    boolean isLeader() {
      return process.isAlive() && role.equals("LEADER");
    }
  }

  final Map<String, Long> acked = new ConcurrentHashMap<>();
  final Set<String> problems = ConcurrentHashMap.newKeySet();


  private static Child leaderOf(List<Child> cs) {
    Child best = null;
    for (Child c : cs) {
      if (c.isLeader() && (best == null || c.term > best.term)) {
        best = c;
      }
    }
    return best;
  }

  /** Proposes values through whoever leads until {@code target} writes are acknowledged in total. */
  private int write(List<Child> cs, int next, int target) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (acked.size() < target) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("only " + acked.size() + " of " + target + " writes acknowledged");
      }
      Child leader = leaderOf(cs);
      if (leader != null) {
        leader.stdin.println("propose v" + next++);
      }
      SocketCluster.pause(3);
    }
    return next;
  }

  @Test
  void killNineTheLeaderWhileAClientWritesThenTheKilledNodeCatchesUp() throws Exception {
    Map<String, Integer> ports = new LinkedHashMap<>();
    for (String id : List.of("p1", "p2", "p3")) {
      ports.put(id, FreePorts.forServer());
    }
    String spec = ports.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
    List<Child> children = new ArrayList<>();
    try {
      for (String id : ports.keySet()) {
        children.add(new Child(id, spec));
      }
      TestKit.await("a leader", WAIT, () -> leaderOf(children) != null);
      int next = write(children, 0, 100);

      // SIGKILL the leader while the client keeps writing
      Child victim = leaderOf(children);
      long oldTerm = victim.term;
      victim.process.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no goodbye
      List<Child> survivors = new ArrayList<>(children);
      survivors.remove(victim);
      TestKit.await("a new leader among the survivors, in a newer term", WAIT, () -> {
        Child l = leaderOf(survivors);
        return l != null && l.term > oldTerm;
      });
      write(survivors, next, 200);

      // writes still in flight may be acknowledged later: check against one snapshot
      Map<String, Long> ackedNow = Map.copyOf(acked);
      Set<String> ackedValues = ackedNow.keySet();
      for (Child s : survivors) {
        TestKit.await(s.id + " holds every acknowledged write", WAIT,
            () -> s.applied.values().containsAll(ackedValues));
        for (Map.Entry<String, Long> a : ackedNow.entrySet()) {
          assertThat(s.applied.get(a.getValue())).as("%s at index %d", s.id, a.getValue()).isEqualTo(a.getKey());
        }
      }

      // the killed node restarts on its port, rejoins and catches up
      Child reborn = new Child(victim.id, spec);
      children.add(reborn);
      TestKit.await(reborn.id + " caught up", WAIT, () -> reborn.applied.values().containsAll(ackedValues));
      for (Map.Entry<String, Long> a : ackedNow.entrySet()) {
        assertThat(reborn.applied.get(a.getValue())).isEqualTo(a.getKey());
      }
      assertThat(problems).isEmpty();
    } finally {
      for (Child c : children) {
        c.stdin.println("exit");
        c.process.destroy();
      }
      for (Child c : children) {
        if (!c.process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
          c.process.destroyForcibly();
        }
      }
    }
  }
}

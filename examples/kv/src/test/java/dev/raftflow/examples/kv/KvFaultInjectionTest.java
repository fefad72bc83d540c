package dev.raftflow.examples.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.client.NodeStatus;
import dev.raftflow.client.RemoteClient;
import dev.raftflow.testkit.KvModel;
import dev.raftflow.testkit.LinearizabilityChecker;
import dev.raftflow.testkit.Operation;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A fault-injection test of a whole KV deployment, in the spirit of Jepsen: {@code kv server}
 * processes on 127.0.0.1 (RSocket between members, Chronicle logs under fsync, every member link
 * through a proxy that can cut it), concurrent {@link KvClient}s doing put/get/cas on a few keys
 * while a {@link KvNemesis} kills members with SIGKILL and restarts them, pauses them with
 * SIGSTOP/SIGCONT, transfers leadership and cuts links both ways and one way. Then everything is
 * healed and, once the members agree on their applied index, it checks:
 *
 * <ul>
 *   <li>every key's history, closed by a final read of each key, is linearizable (testkit's checker;
 *       writes of unknown outcome may or may not have taken effect): no acknowledged write lost, no
 *       stale read, no write applied twice (every value is unique, and a put is checked as the swap
 *       from the value it answered);
 *   <li>no write answered its own value as the one it replaced (a duplicate apply);
 *   <li>every client, with the client object it used under the faults, can write again after the heal;
 *   <li>every member holds the same map (read on each member with follower reads) and the same
 *       applied index, and the map matches the final reads.
 * </ul>
 *
 * <p>Short by default (the normal test suite); {@code -Djepsen.seconds=N} sets the fault period of
 * both variants, {@code -Djepsen.members=3} (or 5) runs one variant only, {@code -Djepsen.seed},
 * {@code -Djepsen.clients} (default 5), {@code -Djepsen.timeout-ms} (a client call's timeout, default
 * 1000; shorter makes more writes indeterminate) and {@code -Djepsen.reads=read-index|lease|follower}
 * (default read-index) vary the run. Prints the nemesis's faults as they happen and a summary. Member logs
 * are kept under {@code target/jepsen/} when a run fails.
 */
class KvFaultInjectionTest {

  private static final PrintStream OUT = System.out;

  @Test
  void threeMembers() throws Exception {
    runIfSelected(3, 20, "read-index");
  }

  @Test
  void fiveMembers() throws Exception {
    runIfSelected(5, 10, "lease"); // SIGSTOP pauses of a leader holding a lease: the dangerous case for leases
  }

  private static void runIfSelected(int members, int defaultSeconds, String defaultReads) throws Exception {
    String only = System.getProperty("jepsen.members", "");
    if (!only.isBlank() && Integer.parseInt(only.trim()) != members) {
      OUT.println("jepsen: " + members + " members skipped (-Djepsen.members=" + only + ")");
      return;
    }
    int seconds = Integer.getInteger("jepsen.seconds", defaultSeconds);
    long seed = Long.getLong("jepsen.seed", ThreadLocalRandom.current().nextLong());
    int clients = Integer.getInteger("jepsen.clients", 5);
    String reads = System.getProperty("jepsen.reads", defaultReads);
    int timeoutMs = Integer.getInteger("jepsen.timeout-ms", 1000);
    if (seconds < 1 || clients < 1 || timeoutMs < 10 || !List.of("read-index", "lease", "follower").contains(reads)) {
      throw new IllegalArgumentException("need jepsen.seconds >= 1, jepsen.clients >= 1, jepsen.timeout-ms >= 10 and "
          + "jepsen.reads one of read-index, lease, follower; got " + seconds + ", " + clients + ", " + timeoutMs
          + ", " + reads);
    }
    new Run(members, seconds, seed, clients, reads, Duration.ofMillis(timeoutMs)).execute();
  }

  /** One run: start, load and faults, heal, converge, check, report. */
  private static final class Run {
    final int members;
    final int seconds;
    final long seed;
    final int clients;
    final String reads;
    final Duration callTimeout;
    final Path dir;
    final KvHistory history = new KvHistory();
    final List<String> problems = new ArrayList<>();

    Run(int members, int seconds, long seed, int clients, String reads, Duration callTimeout) {
      this.members = members;
      this.seconds = seconds;
      this.seed = seed;
      this.clients = clients;
      this.reads = reads;
      this.callTimeout = callTimeout;
      this.dir = Path.of("target", "jepsen", members + "-members-" + Long.toUnsignedString(seed, 36));
    }

    void execute() throws Exception {
      long t0 = System.nanoTime();
      OUT.printf("jepsen: %d members, %d clients (call timeout %d ms), %d s of faults, reads %s, seed %d (rerun: "
          + "-Djepsen.seed=%d), logs in %s%n", members, clients, callTimeout.toMillis(), seconds, reads, seed, seed,
          dir.toAbsolutePath());
      deleteTree(dir);
      List<String> flags = new ArrayList<>(List.of("--follower-reads", "--snapshot-every", "500"));
      if (reads.equals("lease")) {
        flags.add("--lease-reads");
      }
      Map<KvNemesis.Kind, Integer> faults;
      Map<String, String> finals;
      long faultEnd;
      long verdictStart;
      try (KvProcessCluster cluster = new KvProcessCluster(members, dir, flags);
          RemoteClient admin = new RemoteClient(cluster.clientEndpoints())) {
        OUT.printf("jepsen: members ready after %.1f s%n", (System.nanoTime() - t0) / 1e9);
        KvWorkload load = new KvWorkload(cluster.clientEndpoints(),
            reads.equals("follower") ? cluster.ids() : List.of(), history, seed, 10, callTimeout);
        KvNemesis nemesis = new KvNemesis(cluster, admin, seed, OUT);
        load.start(clients);
        try {
          nemesis.run(System.nanoTime() + seconds * 1_000_000_000L);
        } finally {
          load.stop();
        }
        faults = nemesis.counts();
        faultEnd = System.nanoTime();
        healAll(cluster);
        awaitConvergence(cluster, admin);
        problems.addAll(load.writeAfterHeal());
        awaitConvergence(cluster, admin);
        finals = finalReads(cluster, load.keysUsed());
        compareMembers(cluster, admin, finals);
        verdictStart = System.nanoTime();
        checkHistory();
      }
      long t1 = System.nanoTime();
      OUT.printf("jepsen: %d members, seed %d: %d operations ok, %d failed, %d indeterminate; %d keys; faults %s; "
              + "run %.1f s (faults %.1f s, heal and checks %.1f s of which checker %.1f s); verdict: %s%n",
          members, seed, history.okCount(), history.failedCount(), history.indeterminateCount(), finals.size(), faults,
          (t1 - t0) / 1e9, seconds * 1.0, (t1 - faultEnd) / 1e9, (t1 - verdictStart) / 1e9,
          problems.isEmpty() ? "VALID" : "INVALID");
      problems.forEach(p -> OUT.println("jepsen: problem: " + p));
      assertThat(problems).as("problems found (member logs in %s)", dir.toAbsolutePath()).isEmpty();
      assertThat(history.okCount()).as("operations acknowledged").isPositive();
      assertThat(faults.values().stream().mapToInt(Integer::intValue).sum()).as("faults injected").isPositive();
      deleteTree(dir);
    }

    private void healAll(KvProcessCluster cluster) throws IOException, InterruptedException {
      cluster.healLinks();
      for (String id : cluster.ids()) {
        if (cluster.isPaused(id)) {
          cluster.resume(id);
        }
        if (!cluster.isRunning(id)) {
          cluster.restart(id);
        }
      }
    }

    /** Waits until one member leads and all report the same applied index, equal to their last index and commit index. */
    private void awaitConvergence(KvProcessCluster cluster, RemoteClient admin) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      Map<String, NodeStatus> last = Map.of();
      while (System.nanoTime() < deadline) {
        Map<String, NodeStatus> states = new TreeMap<>();
        for (String id : cluster.ids()) {
          try {
            NodeStatus s = admin.state(id).block(Duration.ofSeconds(2));
            if (s != null) {
              states.put(id, s);
            }
          } catch (RuntimeException e) {
            // not answering yet
          }
        }
        last = states;
        if (states.size() == cluster.ids().size()) {
          long leaders = states.values().stream().filter(NodeStatus::isLeader).count();
          long applied = states.values().iterator().next().appliedIndex();
          boolean same = states.values().stream().allMatch(s -> s.appliedIndex() == applied
              && s.commitIndex() == applied && s.lastIndex() == applied);
          if (leaders == 1 && same) {
            OUT.printf("jepsen: converged at applied index %d: %s%n", applied, states);
            return;
          }
        }
        Thread.sleep(200);
      }
      problems.add("members did not converge within 60 s after the heal: " + last);
    }

    /** Reads every key through the leader (linearizable); the reads close each key's history. */
    private Map<String, String> finalReads(KvProcessCluster cluster, java.util.Set<String> keys) {
      Map<String, String> finals = new TreeMap<>();
      int client = clients; // one more client number, after the workload's
      try (KvClient kv = new KvClient(cluster.clientEndpoints(), null, Duration.ofSeconds(10), Duration.ofSeconds(2))) {
        for (String key : new TreeSet<>(keys)) {
          long call = KvHistory.now();
          try {
            Optional<byte[]> v = kv.get(key).block();
            String value = v.map(b -> new String(b, UTF_8)).orElse(null);
            history.ok(client, KvModel.Input.get(key), value, call);
            finals.put(key, value);
          } catch (RuntimeException e) {
            problems.add("final read of " + key + " failed: " + e);
          }
        }
      }
      return finals;
    }

    /** Reads the whole map on every member (follower reads) and compares them with each other and the final reads. */
    private void compareMembers(KvProcessCluster cluster, RemoteClient admin, Map<String, String> finals) {
      Map<String, String> expected = new TreeMap<>();
      finals.forEach((k, v) -> {
        if (v != null) {
          expected.put(k, v);
        }
      });
      Map<String, Long> applied = new LinkedHashMap<>();
      for (String id : cluster.ids()) {
        try (KvClient kv = new KvClient(cluster.clientEndpoints(), id, Duration.ofSeconds(10), Duration.ofSeconds(2))) {
          Map<String, String> map = new TreeMap<>();
          for (KvEntry e : kv.range(null, null, KvStateMachine.MAX_RANGE_LIMIT).block()) {
            map.put(e.key(), new String(e.value(), UTF_8));
          }
          if (!map.equals(expected)) {
            problems.add("member " + id + " holds " + map + " but the final reads were " + expected);
          }
          applied.put(id, admin.state(id).block(Duration.ofSeconds(5)).appliedIndex());
        } catch (RuntimeException e) {
          problems.add("reading member " + id + "'s map failed: " + e);
        }
      }
      if (applied.values().stream().distinct().count() > 1) {
        problems.add("members applied different indexes after the final reads: " + applied);
      }
      OUT.printf("jepsen: every member holds %d keys; applied indexes %s%n", expected.size(), applied);
    }

    /** Checks each key's history with the linearizability checker, on a thread with a deep stack, and the self-replacing writes. */
    private void checkHistory() throws Exception {
      for (String w : history.selfReplacing()) {
        problems.add("a write was applied twice: " + w);
      }
      Map<String, List<Operation<KvModel.Input, String>>> byKey = new TreeMap<>();
      for (Operation<KvModel.Input, String> op : history.operations()) {
        byKey.computeIfAbsent(op.input().key(), k -> new ArrayList<>()).add(op);
      }
      CompletableFuture<List<String>> verdicts = new CompletableFuture<>();
      Thread checker = new Thread(null, () -> {
        try {
          List<String> bad = new ArrayList<>();
          for (Map.Entry<String, List<Operation<KvModel.Input, String>>> e : byKey.entrySet()) {
            LinearizabilityChecker.Result<KvModel.Input, String> r =
                LinearizabilityChecker.check(new KvModel(), e.getValue());
            if (!r.linearizable()) {
              String text = describe(r);
              Path file = dir.resolve("history-" + e.getKey() + ".txt");
              Files.writeString(file, text + System.lineSeparator());
              List<String> lines = text.lines().toList();
              bad.add(String.join(System.lineSeparator(), lines.subList(0, Math.min(lines.size(), 41)))
                  + (lines.size() > 41 ? System.lineSeparator() + "  ... (all " + (lines.size() - 1)
                  + " operations in " + file.toAbsolutePath() + ")" : ""));
            }
          }
          verdicts.complete(bad);
        } catch (Throwable t) {
          verdicts.completeExceptionally(t);
        }
      }, "linearizability-checker", 512L * 1024 * 1024);
      checker.setDaemon(true);
      checker.start();
      List<String> bad = verdicts.get(5, TimeUnit.MINUTES);
      int longest = byKey.values().stream().mapToInt(List::size).max().orElse(0);
      OUT.printf("jepsen: checked %d keys (at most %d operations on one), %d not linearizable%n", byKey.size(),
          longest, bad.size());
      problems.addAll(bad);
    }

    /** The checker's description, with times in ms from the failing key's first call. */
    private static String describe(LinearizabilityChecker.Result<KvModel.Input, String> r) {
      long first = r.partitionHistory().stream().mapToLong(Operation::call).min().orElse(0);
      StringBuilder b = new StringBuilder("key " + r.partition() + " is not linearizable (a put shows as the cas "
          + "from the value it answered); its history, ms from its first call:");
      for (Operation<KvModel.Input, String> op : r.partitionHistory().stream()
          .sorted(Comparator.comparingLong(Operation::call)).toList()) {
        b.append(String.format("%n  client %d %s %s -> %s [%.1f, %s]", op.client(), op.input().kind(),
            op.input().kind() == KvModel.Kind.CAS ? op.input().expected() + "=>" + op.input().value()
                : op.input().value() == null ? "" : op.input().value(),
            op.unknown() ? "?" : op.output(), (op.call() - first) / 1e6,
            op.unknown() ? "unknown" : String.format("%.1f", (op.returned() - first) / 1e6)));
      }
      return b.toString();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}

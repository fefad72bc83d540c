package dev.raftflow.bench;

import dev.raftflow.testkit.LinkProxy;
import dev.raftflow.testkit.ProxyLoop;
import dev.raftflow.client.NodeStatus;
import dev.raftflow.client.RemoteClient;
import dev.raftflow.engine.RaftOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code failover}: what clients feel when a leader fails. Starts {@code node} processes of this
 * program behind per-link {@link LinkProxy}s ({@link ProcessCluster}), runs closed-loop clients
 * ({@link ClientLoad}) and injects faults one at a time, each once the cluster has a stable leader
 * and every client is succeeding. Per fault it measures the unavailability (from the fault to the
 * end of the first acknowledged call that started after it) and the leader changes (the terms in
 * which some node became leader, from the fault until the cluster is stable again after the heal or
 * restart and the settle time). Prints one line per fault, a summary per kind and one {@code RESULT}
 * line. Fails (exit 1) when a fault is not recovered from within {@code --recover-timeout} or the
 * cluster does not become stable again.
 */
@Command(name = "failover", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
    description = {"Client-visible unavailability after leader faults, with node processes behind link proxies.",
        "Faults: isolate-leader, split (5 nodes: leader on the 2 side of 2|3), kill-leader (kill -9, then restart),",
        "heal-refault (isolate the leader, heal, and isolate the new leader within --refault-ms)."},
    exitCodeListHeading = ExitCodes.HEADING,
    exitCodeList = {ExitCodes.OK_TEXT,
        "1:a fault was not recovered from within --recover-timeout, the cluster did not become stable again, "
            + "or the run itself failed",
        ExitCodes.USAGE_TEXT})
final class FailoverCommand implements Callable<Integer> {

  static final List<String> KINDS = List.of("isolate-leader", "split", "kill-leader", "heal-refault");

  @Mixin VerboseOption verbose;

  @Spec
  CommandSpec spec;

  @Option(names = "--nodes", defaultValue = "3", description = "Node processes: 3 or 5 (default ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--clients", defaultValue = "4", description = "Client threads, each with its own RemoteClient (default ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--client-timeout-ms", defaultValue = "3000", description = "Timeout of each client call, ms (default ${DEFAULT-VALUE}).")
  int clientTimeoutMs;

  @Option(names = "--faults", split = ",", defaultValue = "isolate-leader,kill-leader",
      description = "Fault kinds, run in this order: isolate-leader, split, kill-leader, heal-refault (default ${DEFAULT-VALUE}).")
  List<String> faults;

  @Option(names = "--count", defaultValue = "20", description = "Faults of each kind (default ${DEFAULT-VALUE}).")
  int count;

  @Option(names = "--settle", defaultValue = "3", description = "Seconds to wait after a fault is healed or the node restarted (default ${DEFAULT-VALUE}).")
  int settleSeconds;

  @Option(names = "--hold-ms", defaultValue = "4000", description = "How long cut links stay cut after the fault, ms; "
      + "never healed before the clients recovered (default ${DEFAULT-VALUE}).")
  int holdMs;

  @Option(names = "--refault-ms", defaultValue = "500", description = "heal-refault: from the heal to isolating the new leader, ms (default ${DEFAULT-VALUE}).")
  int refaultMs;

  @Option(names = "--recover-timeout", defaultValue = "30", description = "Seconds a fault may last without an acknowledged call before the run fails (default ${DEFAULT-VALUE}).")
  int recoverTimeoutSeconds;

  @Option(names = "--tick-ms", description = "Passed to the nodes (default: the node's).")
  Integer tickMs;

  @Option(names = "--heartbeat-ticks", description = "Passed to the nodes (default: the node's).")
  Integer heartbeatTicks;

  @Option(names = "--election-ticks", description = "Passed to the nodes (default: the node's).")
  Integer electionTicks;

  @Option(names = "--dir", description = "Directory for the nodes' data and logs (default: a temporary one, deleted after).")
  Path dir;

  /**
   * One injected fault and what was measured. {@code unavailableNanos} is -1 when not recovered;
   * {@code termAfter} is the highest term in which a node became leader after the fault (-1: none).
   */
  record Outcome(String kind, String before, long termBefore, String after, long termAfter, long unavailableNanos,
      int leaderChanges) {
    boolean recovered() {
      return unavailableNanos >= 0;
    }

    /** Terms raised from the fault until stable again (elections that elected nobody count too). */
    long termsRaised() {
      return termAfter < 0 ? 0 : termAfter - termBefore;
    }
  }

  private record Leader(String id, long term) {}

  /** The cluster did not get back to a stable leader with succeeding clients. */
  static final class NotRecovered extends RuntimeException {
    NotRecovered(String message) {
      super(message);
    }
  }

  private PrintWriter out;
  private ProcessCluster cluster;
  private ClientLoad load;
  private RemoteClient admin;

  @Override
  public Integer call() throws Exception {
    RaftOptions d = RaftOptions.defaults();
    FlagCheck check = new FlagCheck(spec)
        .require(nodes == 3 || nodes == 5, "--nodes must be 3 or 5, was " + nodes)
        .range("--clients", clients, 1, 64, "client threads")
        .range("--client-timeout-ms", clientTimeoutMs, 50, 600_000, "")
        .range("--count", count, 1, 10_000, "faults of each kind")
        .range("--settle", settleSeconds, 0, 3600, "seconds")
        .range("--hold-ms", holdMs, 0, 600_000, "")
        .range("--refault-ms", refaultMs, 0, 60_000, "")
        .range("--recover-timeout", recoverTimeoutSeconds, 1, 3600, "seconds")
        .range("--faults", faults.size(), 1, KINDS.size(), "kinds");
    for (String f : faults) {
      check.oneOf("--faults", f, KINDS.toArray(String[]::new));
    }
    check.require(faults.stream().distinct().count() == faults.size(), "--faults names a kind twice: " + faults);
    check.require(!faults.contains("split") || nodes == 5, "--faults split needs --nodes 5 (a 2|3 partition)");
    int tick = tickMs == null ? (int) d.tickInterval().toMillis() : tickMs;
    int heartbeat = heartbeatTicks == null ? d.heartbeatTicks() : heartbeatTicks;
    int election = electionTicks == null ? d.electionTicks() : electionTicks;
    check.range("--tick-ms", tick, 1, 60_000, "")
        .range("--heartbeat-ticks", heartbeat, 1, 100_000, "")
        .range("--election-ticks", election, 2, 1_000_000, "")
        .require(election > heartbeat, "--election-ticks (" + election + ") must be greater than --heartbeat-ticks ("
            + heartbeat + ")");
    List<String> nodeFlags = new ArrayList<>();
    if (tickMs != null) {
      nodeFlags.addAll(List.of("--tick-ms", String.valueOf(tickMs)));
    }
    if (heartbeatTicks != null) {
      nodeFlags.addAll(List.of("--heartbeat-ticks", String.valueOf(heartbeatTicks)));
    }
    if (electionTicks != null) {
      nodeFlags.addAll(List.of("--election-ticks", String.valueOf(electionTicks)));
    }

    out = spec.commandLine().getOut();
    Path work = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("raftflow-failover");
    out.printf("raftflow failover: %d node processes (fsync) behind link proxies, %d clients with %d ms timeouts; "
            + "heartbeat %d ms, elections after %d-%d ms; %d faults of each of %s, hold %d ms, settle %d s; data in %s%n",
        nodes, clients, clientTimeoutMs, heartbeat * tick, election * tick, 2 * election * tick, count, faults, holdMs,
        settleSeconds, work);
    out.flush();
    Map<String, List<Outcome>> outcomes = new LinkedHashMap<>();
    boolean failed = false;
    try {
      cluster = new ProcessCluster(nodes, work, nodeFlags, out);
      admin = new RemoteClient(cluster.clientEndpoints());
      load = new ClientLoad(clients, cluster.clientEndpoints(), Duration.ofMillis(clientTimeoutMs));
      waitStable(60);
      for (String kind : faults) {
        List<Outcome> list = new ArrayList<>();
        outcomes.put(kind, list);
        for (int i = 1; i <= count; i++) {
          Outcome o = inject(kind);
          list.add(o);
          out.printf("%s %d/%d: %s (term %d) -> %s: %s, leader changes %d%n", kind, i, count, o.before(), o.termBefore(),
              o.after(), o.recovered() ? "unavailable " + ms(o.unavailableNanos()) + " ms" : "NOT RECOVERED",
              o.leaderChanges());
          out.flush();
        }
      }
    } catch (NotRecovered e) {
      out.println("the cluster did not recover: " + e.getMessage());
      failed = true;
    } finally {
      if (load != null) {
        load.close();
      }
      if (admin != null) {
        admin.close();
      }
      if (cluster != null) {
        cluster.close();
      }
      if (dir == null) {
        deleteTree(work);
      }
    }
    StringBuilder result = new StringBuilder(String.format(
        "RESULT command=failover nodes=%d clients=%d client_timeout_ms=%d tick_ms=%d heartbeat_ticks=%d election_ticks=%d"
            + " hold_ms=%d refault_ms=%d settle_s=%d ops_ok=%d ops_failed=%d",
        nodes, clients, clientTimeoutMs, tick, heartbeat, election, holdMs, refaultMs, settleSeconds,
        load == null ? 0 : load.acknowledged(), load == null ? 0 : load.failed()));
    for (Map.Entry<String, List<Outcome>> e : outcomes.entrySet()) {
      FaultSummary s = new FaultSummary(e.getValue());
      out.println(s.describe(e.getKey()));
      result.append(' ').append(e.getKey()).append('=').append(s.fields());
      failed |= s.unrecovered() > 0;
    }
    result.append(" recovered=").append(failed ? "no" : "yes");
    out.println(result);
    out.flush();
    return failed ? ExitCodes.FAILED : ExitCodes.OK;
  }

  private Outcome inject(String kind) throws IOException, InterruptedException {
    Leader before = waitStable(60);
    return switch (kind) {
      case "isolate-leader" -> cutAndHeal(kind, before, () -> cluster.isolate(before.id()));
      case "split" -> {
        List<String> minority = new ArrayList<>(List.of(before.id()));
        minority.add(cluster.ids().stream().filter(id -> !id.equals(before.id())).findFirst().orElseThrow());
        yield cutAndHeal(kind, before, () -> cluster.partition(minority));
      }
      case "kill-leader" -> killAndRestart(before);
      case "heal-refault" -> healThenRefault(before);
      default -> throw new IllegalArgumentException(kind);
    };
  }

  /** Cuts, waits for recovery and the hold time, heals, settles; leader changes counted until stable again. */
  private Outcome cutAndHeal(String kind, Leader before, Runnable cut) throws InterruptedException {
    cut.run();
    long fault = System.nanoTime(); // from the moment every link is cut
    long unavailable = awaitRecovery(fault);
    sleepUntil(fault + TimeUnit.MILLISECONDS.toNanos(holdMs));
    cluster.healAll();
    TimeUnit.SECONDS.sleep(settleSeconds);
    waitStable(60);
    return outcome(kind, before, fault, unavailable);
  }

  private Outcome killAndRestart(Leader before) throws IOException, InterruptedException {
    cluster.kill(before.id());
    long fault = System.nanoTime(); // from the moment it is gone
    long unavailable = awaitRecovery(fault);
    List<String> others = cluster.ids().stream().filter(id -> !id.equals(before.id())).toList();
    waitLeaderAmong(others, before.term(), 60);
    cluster.restart(before.id());
    TimeUnit.SECONDS.sleep(settleSeconds);
    waitStable(60);
    return outcome("kill-leader", before, fault, unavailable);
  }

  /**
   * Isolates the leader until a new one is elected and the hold time passed, heals, and within
   * {@code --refault-ms} isolates the new leader: the measured fault is the second isolation, whose
   * leader changes are counted from the heal (ideally one: the heal itself elects nobody).
   */
  private Outcome healThenRefault(Leader first) throws InterruptedException {
    cluster.isolate(first.id());
    long firstFault = System.nanoTime();
    awaitRecovery(firstFault);
    List<String> others = cluster.ids().stream().filter(id -> !id.equals(first.id())).toList();
    Leader second = waitLeaderAmong(others, first.term(), 60);
    sleepUntil(firstFault + TimeUnit.MILLISECONDS.toNanos(holdMs));
    cluster.healAll();
    long healed = System.nanoTime();
    sleepUntil(healed + TimeUnit.MILLISECONDS.toNanos(refaultMs));
    Leader current = highestLeader();
    Leader target = current != null && current.term() >= second.term() ? current : second;
    cluster.isolate(target.id());
    long fault = System.nanoTime();
    long unavailable = awaitRecovery(fault);
    sleepUntil(fault + TimeUnit.MILLISECONDS.toNanos(holdMs));
    cluster.healAll();
    TimeUnit.SECONDS.sleep(settleSeconds);
    waitStable(60);
    // counted from the heal: a leader change the heal itself caused is the extra one looked for
    return outcome("heal-refault", target, fault, healed, unavailable);
  }

  private Outcome outcome(String kind, Leader before, long fault, long unavailable) {
    return outcome(kind, before, fault, fault, unavailable);
  }

  /** Leader changes and the new leader counted from {@code countFrom}; unavailability from {@code fault}. */
  private Outcome outcome(String kind, Leader before, long fault, long countFrom, long unavailable) {
    ProcessCluster.LeaderLine last = cluster.leaderLinesSince(countFrom).stream()
        .max(Comparator.comparingLong(ProcessCluster.LeaderLine::term)).orElse(null);
    return new Outcome(kind, before.id(), before.term(), last == null ? "no new leader" : last.id() + " (term "
        + last.term() + ")", last == null ? -1 : last.term(), unavailable, cluster.leaderTermsSince(countFrom));
  }

  /** Nanoseconds from {@code fault} to the end of the first acknowledged call started after it; -1 on timeout. */
  private long awaitRecovery(long fault) throws InterruptedException {
    long deadline = fault + TimeUnit.SECONDS.toNanos(recoverTimeoutSeconds);
    while (true) {
      long first = load.firstAckEndAfter(fault);
      if (first != Long.MAX_VALUE) {
        return first - fault;
      }
      if (System.nanoTime() > deadline) {
        return -1;
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
  }

  /**
   * Waits until every member reports the same leader in the same term, that leader says it leads,
   * every client had a call acknowledged in the last second, and this holds at two looks 300 ms apart.
   */
  private Leader waitStable(int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    Leader seen = null;
    while (System.nanoTime() < deadline) {
      Leader now = agreedLeader();
      if (now != null && load.allSucceededSince(System.nanoTime() - TimeUnit.SECONDS.toNanos(1))) {
        if (now.equals(seen)) {
          return now;
        }
        seen = now;
      } else {
        seen = null;
      }
      TimeUnit.MILLISECONDS.sleep(300);
    }
    throw new NotRecovered("no stable leader with succeeding clients within " + seconds + " s");
  }

  /** The leader all members agree on, or null. */
  private Leader agreedLeader() {
    Leader agreed = null;
    for (String id : cluster.ids()) {
      NodeStatus s = status(id);
      if (s == null || s.leaderId() == null) {
        return null;
      }
      Leader l = new Leader(s.leaderId(), s.term());
      if (agreed != null && !agreed.equals(l)) {
        return null;
      }
      agreed = l;
    }
    NodeStatus ls = status(agreed.id());
    return ls != null && ls.isLeader() && ls.term() == agreed.term() ? agreed : null;
  }

  /** The leader of the highest term any of {@code candidates} reports above {@code aboveTerm}, waiting for one. */
  private Leader waitLeaderAmong(List<String> candidates, long aboveTerm, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      for (String id : candidates) {
        NodeStatus s = status(id);
        if (s != null && s.isLeader() && s.term() > aboveTerm) {
          return new Leader(id, s.term());
        }
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
    throw new NotRecovered("no new leader among " + candidates + " within " + seconds + " s");
  }

  /** The member that says it leads in the highest term, or null. */
  private Leader highestLeader() {
    Leader best = null;
    for (String id : cluster.ids()) {
      NodeStatus s = status(id);
      if (s != null && s.isLeader() && (best == null || s.term() > best.term())) {
        best = new Leader(id, s.term());
      }
    }
    return best;
  }

  private NodeStatus status(String id) {
    if (!cluster.isRunning(id)) {
      return null;
    }
    try {
      return admin.state(id).timeout(Duration.ofSeconds(1)).block();
    } catch (RuntimeException e) {
      return null; // down, restarting or slow
    }
  }

  private static void sleepUntil(long nanos) throws InterruptedException {
    long left = nanos - System.nanoTime();
    if (left > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }

  static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory: left for the OS to clean
    }
  }
}

package dev.raftflow.bench;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.memory.MemoryHostLogStore;
import dev.raftflow.engine.memory.MemoryHostNetwork;
import dev.raftflow.engine.node.RaftHost;
import dev.raftflow.engine.node.RaftNode;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code idle-groups}: what many idle groups cost a process. Starts {@code --hosts} {@link RaftHost}s
 * in this process on an in-memory host network with in-memory stores, {@code --groups} groups on
 * each (one member per host), commits one entry in every group, waits until every member is quiet,
 * then measures the process's CPU and heap while nothing happens; finally it closes one host and
 * times how long until every group it led has a leader again. The engine's own cost: no sockets,
 * no disk.
 */
@Command(name = "idle-groups", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
    description = {"CPU and heap of many idle groups per host, and their failover when a host goes."},
    exitCodeListHeading = ExitCodes.HEADING,
    exitCodeList = {ExitCodes.OK_TEXT, ExitCodes.FAILED_TEXT, ExitCodes.USAGE_TEXT})
final class IdleGroupsCommand implements Callable<Integer> {

  @Mixin VerboseOption verbose;

  @Spec
  CommandSpec spec;

  @Option(names = "--groups", defaultValue = "10000", description = "Groups per host (default ${DEFAULT-VALUE}).")
  int groups;

  @Option(names = "--hosts", defaultValue = "3", description = "Hosts, each a member of every group (default ${DEFAULT-VALUE}).")
  int hosts;

  @Option(names = "--loops", defaultValue = "2", description = "Loop threads per host (default ${DEFAULT-VALUE}).")
  int loops;

  @Option(names = "--idle-seconds", defaultValue = "20", description = "Seconds of idle measured (default ${DEFAULT-VALUE}).")
  int idleSeconds;

  @Override
  public Integer call() throws Exception {
    new FlagCheck(spec)
        .range("--groups", groups, 1, 1_000_000, "groups per host")
        .range("--hosts", hosts, 3, 9, "hosts")
        .range("--loops", loops, 1, 64, "loops per host")
        .range("--idle-seconds", idleSeconds, 1, 3600, "seconds");
    PrintWriter out = spec.commandLine().getOut();
    RaftOptions options = RaftOptions.builder().quiesce(true).build();
    MemoryHostNetwork net = new MemoryHostNetwork(256);
    List<String> ids = new ArrayList<>();
    List<RaftHost> running = new ArrayList<>();
    for (int h = 0; h < hosts; h++) {
      ids.add("h" + (h + 1));
    }
    try {
      for (String id : ids) {
        running.add(RaftHost.builder().transport(net.host(id)).logStore(new MemoryHostLogStore()).options(options)
            .loops(loops).random(new Random(id.hashCode())).build());
      }
      long t0 = System.nanoTime();
      for (int g = 0; g < groups; g++) {
        for (RaftHost h : running) {
          h.startGroup("g" + g, ids);
        }
      }
      long started = System.nanoTime();
      out.printf("raftflow idle-groups: %d hosts x %d groups (%d members), %d loops each; started in %.1f s%n",
          hosts, groups, hosts * groups, loops, (started - t0) / 1e9);
      await(() -> leaders(running) == groups, Duration.ofMinutes(10));
      long elected = System.nanoTime();
      byte[] one = new byte[16];
      for (int g = 0; g < groups; g++) {
        RaftNode leader = leaderOf(running, "g" + g);
        if (leader != null) {
          leader.propose(one).exceptionally(e -> null);
        }
      }
      await(() -> quiet(running) == (long) hosts * groups, Duration.ofMinutes(10));
      long allQuiet = System.nanoTime();
      out.printf("all groups led after %.1f s, all members quiet %.1f s later%n", (elected - started) / 1e9,
          (allQuiet - elected) / 1e9);
      System.gc();
      Thread.sleep(1000);
      long heap = usedHeap();
      long cpu0 = processCpuNanos();
      long wall0 = System.nanoTime();
      Thread.sleep(TimeUnit.SECONDS.toMillis(idleSeconds));
      double cpuShare = (processCpuNanos() - cpu0) / (double) (System.nanoTime() - wall0);
      long stillQuiet = quiet(running);
      out.printf("idle %d s: process CPU %.2f%% of one core, heap after GC %d MiB (%.1f KiB per member), %d of %d "
          + "members quiet at the end%n", idleSeconds, cpuShare * 100, heap >> 20, heap / 1024.0 / (hosts * groups),
          stillQuiet, hosts * groups);
      RaftHost victim = running.get(0);
      int ledByVictim = 0;
      for (int g = 0; g < groups; g++) {
        RaftNode n = victim.group("g" + g).orElse(null);
        if (n != null && n.state().role() == Role.LEADER) {
          ledByVictim++;
        }
      }
      long killed = System.nanoTime();
      victim.close();
      running.remove(0);
      await(() -> leaders(running) == groups, Duration.ofMinutes(10));
      double failover = (System.nanoTime() - killed) / 1e9;
      out.printf("closed %s (leading %d groups): every group led again after %.2f s%n", victim.id(), ledByVictim, failover);
      out.printf("RESULT command=idle-groups hosts=%d groups=%d loops=%d idle_cpu_pct=%.2f heap_mib=%d "
          + "heap_kib_per_member=%.1f failover_s=%.2f groups_failed_over=%d%n", hosts, groups, loops, cpuShare * 100,
          heap >> 20, heap / 1024.0 / (hosts * groups), failover, ledByVictim);
      return ExitCodes.OK;
    } finally {
      for (RaftHost h : running) {
        h.close();
      }
    }
  }

  private static int leaders(List<RaftHost> hosts) {
    java.util.Set<String> led = new java.util.HashSet<>();
    for (RaftHost h : hosts) {
      for (String g : h.groups()) {
        h.group(g).filter(n -> n.state().role() == Role.LEADER).ifPresent(n -> led.add(g));
      }
    }
    return led.size();
  }

  private static RaftNode leaderOf(List<RaftHost> hosts, String group) {
    for (RaftHost h : hosts) {
      RaftNode n = h.group(group).orElse(null);
      if (n != null && n.state().role() == Role.LEADER) {
        return n;
      }
    }
    return null;
  }

  private static long quiet(List<RaftHost> hosts) {
    long q = 0;
    for (RaftHost h : hosts) {
      for (String g : h.groups()) {
        if (h.group(g).map(RaftNode::isQuiet).orElse(false)) {
          q++;
        }
      }
    }
    return q;
  }

  private static void await(BooleanSupplier done, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("not reached within " + limit);
      }
      Thread.sleep(100);
    }
  }

  private static long usedHeap() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }
}

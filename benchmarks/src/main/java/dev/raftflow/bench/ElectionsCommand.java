package dev.raftflow.bench;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.transport.rsocket.RSocketTransport;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code elections}: spurious elections (no fault injected) of 3-member groups with different
 * election timing, run side by side in one process so that every timing sees the same host load.
 * Each group talks RSocket on 127.0.0.1, keeps its log in memory and takes a light steady load.
 * What it measures is the trade-off behind the timing options: a shorter election timeout fails
 * over sooner, but a loaded host's pauses (GC, CPU starvation, a slow disk) depose healthy leaders.
 */
@Command(name = "elections", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
    description = {"Spurious elections of groups with different election timing, side by side.",
        "Run it on a loaded host (or beside a load) to choose timing options."},
    exitCodeListHeading = ExitCodes.HEADING,
    exitCodeList = {ExitCodes.OK_TEXT, ExitCodes.FAILED_TEXT, ExitCodes.USAGE_TEXT})
final class ElectionsCommand implements Callable<Integer> {

  /** Entries between two snapshots of each member: keeps memory flat however long it runs. */
  private static final long SNAPSHOT_EVERY = 10_000;

  @Mixin VerboseOption verbose;

  @Spec
  CommandSpec spec;

  @Option(names = "--seconds", defaultValue = "600", description = "Measured seconds (default ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--timings", split = ",", defaultValue = "5:15,10:50,10:100",
      description = "One group per HEARTBEAT:ELECTION pair, in ticks (default ${DEFAULT-VALUE}: the defaults, then two slower).")
  List<String> timings;

  @Option(names = "--tick-ms", defaultValue = "10", description = "Length of a tick in ms (default ${DEFAULT-VALUE}).")
  int tickMs;

  @Option(names = "--rate", defaultValue = "100", description = "Proposals per second to each group's leader (default ${DEFAULT-VALUE}).")
  int rate;

  private record Group(String label, List<RaftNode> nodes) {
    long elections() {
      long n = 0;
      for (RaftNode node : nodes) {
        n += node.metrics().electionsStarted();
      }
      return n;
    }

    RaftNode leader() {
      for (RaftNode node : nodes) {
        if (node.state().isLeader()) {
          return node;
        }
      }
      return null;
    }
  }

  @Override
  public Integer call() throws Exception {
    FlagCheck check = new FlagCheck(spec)
        .range("--seconds", seconds, 1, 7 * 24 * 3600, "measured seconds")
        .range("--tick-ms", tickMs, 1, 1000, "ms per tick")
        .range("--rate", rate, 0, 10_000, "proposals per second per group")
        .range("--timings", timings.size(), 1, 8, "groups");
    List<RaftOptions> options = new ArrayList<>();
    for (String t : timings) {
      String[] parts = t.split(":");
      check.require(parts.length == 2 && parts[0].matches("\\d{1,6}") && parts[1].matches("\\d{1,6}"),
          "--timings takes HEARTBEAT:ELECTION ticks, was '" + t + "'");
      int heartbeat = Integer.parseInt(parts[0]);
      int election = Integer.parseInt(parts[1]);
      check.require(heartbeat >= 1 && election > heartbeat,
          "--timings " + t + ": the election timeout must be longer than the heartbeat");
      options.add(RaftOptions.builder().tickInterval(Duration.ofMillis(tickMs)).heartbeatTicks(heartbeat)
          .electionTicks(election).build());
    }
    PrintWriter out = spec.commandLine().getOut();
    List<Group> groups = new ArrayList<>();
    List<RSocketTransport> transports = new ArrayList<>();
    try {
      for (int g = 0; g < options.size(); g++) {
        groups.add(start(g, options.get(g), transports));
      }
      out.printf("raftflow elections: %d groups of 3 on 127.0.0.1, %d ms ticks, %d proposals/s each, %d s%n",
          groups.size(), tickMs, rate, seconds);
      Thread.sleep(Math.max(2_000, 4L * maxElectionMs(options))); // the first elections are not spurious
      long[] before = new long[groups.size()];
      for (int g = 0; g < groups.size(); g++) {
        before[g] = groups.get(g).elections();
      }
      long start = System.nanoTime();
      long end = start + TimeUnit.SECONDS.toNanos(seconds);
      long next = start;
      long reportAt = start + TimeUnit.SECONDS.toNanos(60);
      byte[] command = new byte[64];
      while (System.nanoTime() < end) {
        if (rate > 0) {
          for (Group g : groups) {
            RaftNode leader = g.leader();
            if (leader != null) {
              leader.propose(command).exceptionally(e -> null); // a refusal during an election is expected
            }
          }
          next += 1_000_000_000L / rate;
        } else {
          next += 100_000_000L;
        }
        long sleep = next - System.nanoTime();
        if (sleep > 0) {
          TimeUnit.NANOSECONDS.sleep(sleep);
        }
        if (System.nanoTime() > reportAt) {
          reportAt += TimeUnit.SECONDS.toNanos(60);
          StringBuilder line = new StringBuilder("t=" + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) + "s");
          for (int g = 0; g < groups.size(); g++) {
            line.append("  ").append(groups.get(g).label()).append(": ").append(groups.get(g).elections() - before[g]);
          }
          out.println(line);
        }
      }
      double hours = (System.nanoTime() - start) / 3.6e12;
      for (int g = 0; g < groups.size(); g++) {
        long n = groups.get(g).elections() - before[g];
        out.printf("RESULT command=elections timing=%s tick_ms=%d seconds=%d elections=%d per_hour=%.1f%n",
            timings.get(g), tickMs, seconds, n, n / hours);
      }
      return ExitCodes.OK;
    } finally {
      for (Group g : groups) {
        g.nodes().forEach(RaftNode::close);
      }
      transports.forEach(RSocketTransport::close);
    }
  }

  private long maxElectionMs(List<RaftOptions> options) {
    long max = 0;
    for (RaftOptions o : options) {
      max = Math.max(max, 2L * o.electionTicks() * o.tickInterval().toMillis());
    }
    return max;
  }

  private Group start(int g, RaftOptions options, List<RSocketTransport> transports) {
    List<String> ids = List.of("g" + g + "a", "g" + g + "b", "g" + g + "c");
    List<RSocketTransport> ts = new ArrayList<>();
    for (String id : ids) {
      RSocketTransport t = RSocketTransport.builder().clusterId("elections-" + g).nodeId(id).bind("127.0.0.1", 0)
          .peers(ids).start();
      ts.add(t);
      transports.add(t);
    }
    for (RSocketTransport t : ts) {
      for (RSocketTransport other : ts) {
        if (t != other) {
          t.peerAddress(other.nodeId(), other.localAddress());
        }
      }
    }
    List<RaftNode> nodes = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      RaftNode node = RaftNode.builder().id(ids.get(i)).members(ids).transport(ts.get(i))
          .logStore(new MemoryLogStore()).options(options).start();
      // a snapshot now and then keeps the in-memory logs bounded over hours (the state is empty)
      node.applied().subscribe(ev -> {
        if (ev.index() % SNAPSHOT_EVERY == 0) {
          node.snapshot(ev.index(), new byte[0]);
        }
      });
      nodes.add(node);
    }
    return new Group(timings.get(g), nodes);
  }
}

package dev.raftflow.engine.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.memory.MemoryHostLogStore;
import dev.raftflow.engine.node.RaftHost;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.sim.SimHostNetwork;
import dev.raftflow.engine.sim.Simulation;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Several groups sharing three hosts ({@link RaftHost}) on virtual time: a host's partition or
 * crash hits all its groups at once. Idle groups are quiet, so a lost leader is noticed through the
 * hosts' reachability, not through each group's heartbeats. Checked: every group elects a new leader
 * on the other hosts, commits, and after the heal every member of every group applies the same
 * commands at the same indexes (checked at each apply).
 */
class MultiGroupHostTest {

  private static final List<String> HOSTS = List.of("h1", "h2", "h3");
  private static final int GROUPS = 6;
  private static final RaftOptions OPTIONS = RaftOptions.builder().quiesce(true).build();

  private final Simulation sim = new Simulation(Long.getLong("raftflow.seed", 7));
  private final SimHostNetwork net = new SimHostNetwork(sim);
  private final Map<String, RaftHost> hosts = new HashMap<>();
  private final Map<String, MemoryHostLogStore> stores = new HashMap<>();
  /** group -> index -> the command applied there (by whichever member applied it first). */
  private final Map<String, Map<Long, String>> appliedAt = new HashMap<>();
  /** "host/group" -> the highest index its current incarnation applied. */
  private final Map<String, Long> lastApplied = new HashMap<>();

  @AfterEach
  void end() {
    sim.rethrowFailure();
  }

  private void startHost(String id, MemoryHostLogStore store) {
    stores.put(id, store);
    RaftHost host = RaftHost.builder().transport(net.host(id)).logStore(store).options(OPTIONS).loops(2)
        .scheduler(sim.scheduler()).random(sim.newRandom()).build();
    hosts.put(id, host);
    for (int g = 0; g < GROUPS; g++) {
      String group = "g" + g;
      RaftNode node = host.startGroup(group, HOSTS);
      String key = id + "/" + group;
      lastApplied.put(key, 0L);
      node.applied().subscribe(ev -> {
        if (hosts.get(id) != host) {
          return; // a dead incarnation
        }
        if (ev instanceof ApplyEvent.Entry e) {
          lastApplied.put(key, e.index());
          if (e.isCommand()) {
            String cmd = new String(e.command(), StandardCharsets.UTF_8);
            String before = appliedAt.computeIfAbsent(group, k -> new HashMap<>()).putIfAbsent(e.index(), cmd);
            if (before != null && !before.equals(cmd)) {
              sim.fail(new AssertionError(group + ": " + id + " applied " + cmd + " at " + e.index() + " where another "
                  + "member applied " + before));
            }
          }
        } else if (ev instanceof ApplyEvent.SnapshotInstalled s) {
          lastApplied.put(key, s.index());
        }
      });
    }
  }

  private RaftNode leaderOf(String group, List<String> among) {
    RaftNode best = null;
    for (String h : among) {
      RaftNode n = hosts.get(h).group(group).orElse(null);
      if (n != null && n.state().role() == Role.LEADER && (best == null || n.state().term() > best.state().term())) {
        best = n;
      }
    }
    return best;
  }

  /** Commits {@code cmd} in {@code group} through a leader among {@code among}; returns its index. */
  private long commit(String group, String cmd, List<String> among) {
    long deadline = sim.nowMillis() + 20_000;
    while (sim.nowMillis() < deadline) {
      RaftNode leader = leaderOf(group, among);
      if (leader != null) {
        try {
          CompletableFuture<dev.raftflow.engine.LogPosition> f = leader.propose(cmd.getBytes(StandardCharsets.UTF_8));
          long index = sim.await(f, 2_000).index();
          long until = sim.nowMillis() + 5_000;
          while (sim.nowMillis() < until && cmd.equals(appliedAt.getOrDefault(group, Map.of()).get(index)) == false) {
            sim.sleep(10);
          }
          if (cmd.equals(appliedAt.getOrDefault(group, Map.of()).get(index))) {
            return index;
          }
        } catch (RuntimeException e) {
          // not the leader any more, or it lost the entry: ask again
        }
      }
      sim.sleep(50);
    }
    throw new AssertionError(group + " did not commit " + cmd + " within 20 s of virtual time (t=" + sim.nowMillis() + ")");
  }

  private void startAll() {
    for (String h : HOSTS) {
      startHost(h, new MemoryHostLogStore());
    }
    for (int g = 0; g < GROUPS; g++) {
      commit("g" + g, "first-g" + g, HOSTS);
    }
  }

  private void awaitEveryGroupLedAmong(List<String> among, long maxMillis) {
    long deadline = sim.nowMillis() + maxMillis;
    while (true) {
      int led = 0;
      for (int g = 0; g < GROUPS; g++) {
        if (leaderOf("g" + g, among) != null) {
          led++;
        }
      }
      if (led == GROUPS) {
        return;
      }
      assertThat(sim.nowMillis()).as(led + " of " + GROUPS + " groups led among " + among).isLessThan(deadline);
      sim.sleep(20);
    }
  }

  private void awaitAllApplied(long maxMillis) {
    long deadline = sim.nowMillis() + maxMillis;
    while (true) {
      boolean caughtUp = true;
      for (int g = 0; g < GROUPS; g++) {
        long top = appliedAt.get("g" + g).keySet().stream().mapToLong(Long::longValue).max().orElse(0);
        for (String h : HOSTS) {
          caughtUp &= lastApplied.get(h + "/g" + g) >= top;
        }
      }
      if (caughtUp) {
        return;
      }
      assertThat(sim.nowMillis()).as("every member applied every command " + lastApplied).isLessThan(deadline);
      sim.sleep(50);
    }
  }

  @Test
  void aPartitionedHostLosesEveryLeadershipAtOnceAndQuietGroupsFailOver() {
    startAll();
    sim.sleep(5_000);
    for (String h : HOSTS) {
      for (int g = 0; g < GROUPS; g++) {
        assertThat(hosts.get(h).group("g" + g).orElseThrow().isQuiet()).as(h + "/g" + g + " quiet when idle").isTrue();
      }
    }
    Map<String, Integer> led = new HashMap<>();
    for (int g = 0; g < GROUPS; g++) {
      led.merge(leaderOf("g" + g, HOSTS).id(), 1, Integer::sum);
    }
    String victim = led.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    List<String> others = new ArrayList<>(HOSTS);
    others.remove(victim);
    long cut = sim.nowMillis();
    net.isolate(victim);
    // reachability (an election timeout without an answer) wakes the followers, then they elect:
    // well within 3 s of virtual time with the default timings (0.5 s down-after, 0.5-1 s timeouts)
    awaitEveryGroupLedAmong(others, 3_000);
    long failover = sim.nowMillis() - cut;
    System.out.printf("multi-group hosts: %d groups failed over %d ms (virtual) after %s was cut off%n", led.get(victim), failover, victim);
    assertThat(failover).as("failover of quiet groups").isGreaterThanOrEqualTo(500);
    for (int g = 0; g < GROUPS; g++) {
      commit("g" + g, "during-g" + g, others);
    }
    net.heal(victim);
    for (int g = 0; g < GROUPS; g++) {
      commit("g" + g, "after-g" + g, HOSTS);
    }
    awaitAllApplied(10_000);
    for (int g = 0; g < GROUPS; g++) {
      int gg = g;
      long leaders = HOSTS.stream().map(h -> hosts.get(h).group("g" + gg).orElseThrow())
          .filter(n -> n.state().role() == Role.LEADER).count();
      assertThat(leaders).as("one leader per group after the heal").isLessThanOrEqualTo(1);
    }
  }

  @Test
  void aCrashedHostRestartsFromItsStoreAndEveryGroupCatchesUp() {
    startAll();
    sim.sleep(3_000);
    String victim = "h2";
    MemoryHostLogStore survived = stores.get(victim).crashCopy();
    net.crash(victim);
    List<String> others = List.of("h1", "h3");
    awaitEveryGroupLedAmong(others, 3_000);
    for (int round = 0; round < 3; round++) {
      for (int g = 0; g < GROUPS; g++) {
        commit("g" + g, "while-down-" + round + "-g" + g, others);
      }
    }
    startHost(victim, survived);
    for (int g = 0; g < GROUPS; g++) {
      commit("g" + g, "back-g" + g, HOSTS);
    }
    awaitAllApplied(10_000);
    sim.sleep(5_000);
    for (int g = 0; g < GROUPS; g++) {
      assertThat(hosts.get(victim).group("g" + g).orElseThrow().isQuiet()).as("g" + g + " quiet again").isTrue();
    }
  }
}

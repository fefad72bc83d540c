package dev.raftflow.engine.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.memory.MemoryHostLogStore;
import dev.raftflow.engine.memory.MemoryHostNetwork;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link RaftHost}: many groups on shared loops, quiet when idle, woken when a leader's host goes away. */
class RaftHostTest {

  private static final RaftOptions FAST = RaftOptions.builder().quiesce(true)
      .tickInterval(Duration.ofMillis(5)).heartbeatTicks(2).electionTicks(20).build();
  private static final List<String> HOSTS = List.of("h1", "h2", "h3");

  private final MemoryHostNetwork net = new MemoryHostNetwork();
  private final Map<String, MemoryHostLogStore> stores = new HashMap<>();
  private final Map<String, RaftHost> hosts = new HashMap<>();

  private RaftHost host(String id) {
    RaftHost h = RaftHost.builder().transport(net.host(id)).logStore(stores.computeIfAbsent(id, i -> new MemoryHostLogStore()))
        .options(FAST).loops(2).random(new Random(id.hashCode())).compactionCheck(Duration.ofMillis(20)).build();
    hosts.put(id, h);
    return h;
  }

  @AfterEach
  void closeAll() {
    hosts.values().forEach(RaftHost::close);
  }

  private List<String> startGroups(int groups) {
    List<String> ids = new ArrayList<>();
    for (String h : HOSTS) {
      host(h);
    }
    for (int g = 0; g < groups; g++) {
      String gid = "g" + g;
      ids.add(gid);
      for (String h : HOSTS) {
        hosts.get(h).startGroup(gid, HOSTS);
      }
    }
    return ids;
  }

  private RaftNode leaderOf(String group) {
    for (RaftHost h : hosts.values()) {
      RaftNode n = h.group(group).orElse(null);
      if (n != null && n.state().role() == Role.LEADER) {
        return n;
      }
    }
    return null;
  }

  private void commitOne(String group, String command) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      RaftNode leader = leaderOf(group);
      if (leader != null) {
        try {
          long index = leader.propose(command.getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS).index();
          await(() -> HOSTS.stream().map(hosts::get).filter(h -> h != null && !h.group(group).isEmpty())
              .allMatch(h -> h.group(group).get().state().commitIndex() >= index));
          return;
        } catch (java.util.concurrent.ExecutionException e) {
          // a leader that just lost its place: ask again
        }
      }
      assertThat(System.nanoTime()).as("group " + group + " commits within 10 s").isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  @Test
  void manyGroupsShareTheLoopsElectCommitAndGoQuietWhenIdle() throws Exception {
    List<String> groups = startGroups(30);
    for (String g : groups) {
      commitOne(g, "x-" + g);
    }
    assertThat(hosts.get("h1").groups()).hasSize(30);
    assertThat(hosts.get("h1").loopCount()).isEqualTo(2);
    // every member of every group goes quiet once nothing happens
    await(() -> hosts.values().stream().allMatch(h -> h.groups().stream()
        .allMatch(g -> h.group(g).map(RaftNode::isQuiet).orElse(false))));
    long ticksQuiet = hosts.values().stream().mapToLong(h -> h.groups().size()).sum();
    assertThat(ticksQuiet).isEqualTo(90);
    // a proposal wakes a quiet group, which commits and goes quiet again
    commitOne("g7", "after-quiet");
    RaftNode leader = leaderOf("g7");
    long term = leader.state().term();
    await(() -> HOSTS.stream().allMatch(h -> hosts.get(h).group("g7").get().isQuiet()));
    assertThat(leaderOf("g7").state().term()).as("no election to wake").isEqualTo(term);
  }

  @Test
  void quietFollowersElectANewLeaderWhenTheLeadersHostIsCutOff() throws Exception {
    List<String> groups = startGroups(12);
    for (String g : groups) {
      commitOne(g, "x-" + g);
    }
    await(() -> hosts.values().stream().allMatch(h -> h.groups().stream()
        .allMatch(g -> h.group(g).map(RaftNode::isQuiet).orElse(false))));
    // pick the host leading the most groups and cut it off: its groups must move elsewhere
    Map<String, Integer> led = new HashMap<>();
    for (String g : groups) {
      led.merge(leaderOf(g).id(), 1, Integer::sum);
    }
    String victim = led.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    List<String> victimGroups = groups.stream().filter(g -> leaderOf(g).id().equals(victim)).toList();
    assertThat(victimGroups).isNotEmpty();
    net.isolate(victim);
    for (String g : victimGroups) {
      await(() -> HOSTS.stream().filter(h -> !h.equals(victim))
          .anyMatch(h -> hosts.get(h).group(g).get().state().role() == Role.LEADER));
    }
    hosts.get(victim).close(); // it would step down by CheckQuorum once woken; out of the way
    hosts.remove(victim);
    for (String g : victimGroups) {
      commitOne(g, "moved-" + g);
    }
  }

  @Test
  void stoppingALeaderHandsItsGroupOverAndTheDataStays() throws Exception {
    startGroups(3);
    commitOne("g1", "one");
    RaftNode leader = leaderOf("g1");
    RaftHost host = hosts.get(leader.id());
    long commit = leader.state().commitIndex();
    host.stopGroup("g1").get(10, TimeUnit.SECONDS);
    assertThat(host.group("g1")).isEmpty();
    assertThat(host.groups()).doesNotContain("g1");
    await(() -> leaderOf("g1") != null);
    assertThat(leaderOf("g1").id()).isNotEqualTo(host.id());
    commitOne("g1", "two");
    RaftNode again = host.startGroup("g1", HOSTS);
    assertThat(again.state().lastIndex()).as("its log recovered from the host's store").isGreaterThanOrEqualTo(commit);
    await(() -> again.state().commitIndex() >= leaderOf("g1").state().commitIndex());
    host.removeGroup("g1").get(10, TimeUnit.SECONDS);
    assertThat(stores.get(host.id()).groups()).doesNotContain("g1");
  }

  @Test
  void balancingSpreadsLeadershipOverTheHosts() throws Exception {
    startGroups(12);
    for (String g : List.of("g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "g9", "g10", "g11")) {
      commitOne(g, "x");
    }
    // pile every leadership onto h1 first (again where a loaded machine lets an election move one)
    await(() -> {
      for (int g = 0; g < 12; g++) {
        RaftNode leader = leaderOf("g" + g);
        if (leader != null && !leader.id().equals("h1")) {
          try {
            leader.transferLeadership("h1").get(10, TimeUnit.SECONDS);
          } catch (Exception e) {
            // not the leader any more, or the transfer timed out: the next round sees
          }
        }
      }
      return ledBy("h1") == 12;
    });
    // rounds of balancing on every host until no host hands anything over
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      boolean moved = false;
      for (String h : HOSTS) {
        moved |= hosts.get(h).balanceLeaders() != null;
      }
      if (!moved && HOSTS.stream().allMatch(h -> ledBy(h) == 4)) {
        break;
      }
      assertThat(System.nanoTime()).as("balanced within 20 s: " + ledBy("h1") + "/" + ledBy("h2") + "/" + ledBy("h3"))
          .isLessThan(deadline);
      Thread.sleep(50);
    }
    assertThat(HOSTS).allSatisfy(h -> assertThat(ledBy(h)).isEqualTo(4));
  }

  private int ledBy(String host) {
    int n = 0;
    for (int g = 0; g < 12; g++) {
      RaftNode leader = leaderOf("g" + g);
      if (leader != null && leader.id().equals(host)) {
        n++;
      }
    }
    return n;
  }

  @Test
  void theHostAsksForSnapshotsOfTheGroupsPinningItsLog() throws Exception {
    startGroups(3);
    RaftHost h = hosts.get("h1");
    java.util.concurrent.BlockingQueue<String> asked = new java.util.concurrent.LinkedBlockingQueue<>();
    h.snapshotRequests().subscribe(asked::add);
    stores.get("h1").pinning(java.util.Set.of("g2", "not-here"));
    assertThat(asked.poll(10, TimeUnit.SECONDS)).isEqualTo("g2");
    stores.get("h1").pinning(java.util.Set.of());
    asked.clear();
    Thread.sleep(100);
    assertThat(asked).as("nothing asked once nothing pins").isEmpty();
  }

  @Test
  void refusesADuplicateGroupAndAForeignTickInterval() {
    startGroups(1);
    RaftHost h = hosts.get("h1");
    assertThatThrownBy(() -> h.startGroup("g0", HOSTS)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("already runs");
    RaftOptions slow = FAST.toBuilder().tickInterval(Duration.ofMillis(7)).build();
    assertThatThrownBy(() -> h.startGroup("other", HOSTS, slow)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ticks every");
    assertThat(h.groups()).containsExactly("g0");
  }

  private static void await(BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 10 s").isLessThan(deadline);
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }
}

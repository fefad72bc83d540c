package dev.raftflow.transport.rsocket;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.memory.MemoryLogStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A follower cut off while the leader compacts its log catches up through a 40 MiB snapshot over
 * RSocket on default options: the snapshot travels in 1 MiB chunks, so neither the 16 MiB frame
 * limit nor the 8 MiB outbound queue bound stands in its way.
 */
class LargeSnapshotTest {

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void aLaggingFollowerInstallsASnapshotLargerThanAFrameOnDefaults() throws Exception {
    List<String> ids = List.of("a", "b", "c");
    Map<String, RSocketTransport> ts = TestKit.cluster(ids, b -> b);
    Map<String, RaftNode> nodes = new ConcurrentHashMap<>();
    Map<String, ApplyEvent.SnapshotInstalled> installed = new ConcurrentHashMap<>();
    Map<String, Long> appliedIndex = new ConcurrentHashMap<>();
    try {
      RaftOptions options = RaftOptions.builder().electionTicks(20).build();
      Random seeds = new Random(40);
      for (String id : ids) {
        RaftNode n = RaftNode.builder().id(id).members(ids).transport(ts.get(id)).logStore(new MemoryLogStore())
            .options(options).random(new Random(seeds.nextLong())).start();
        n.applied().subscribe(ev -> {
          if (ev instanceof ApplyEvent.SnapshotInstalled s) {
            installed.put(id, s);
          }
          appliedIndex.put(id, ev.index());
        });
        nodes.put(id, n);
      }
      RaftNode leader = awaitLeader(nodes.values());
      String lagging = ids.stream().filter(id -> !id.equals(leader.id())).findFirst().orElseThrow();
      ts.get(lagging).isolate(true);
      long last = 0;
      for (int i = 0; i < 20; i++) {
        last = leader.submit(("cmd-" + i).getBytes()).block(Duration.ofSeconds(10)).index();
      }
      byte[] state = new byte[40 << 20];
      new Random(7).nextBytes(state);
      leader.snapshot(last, state).get(10, TimeUnit.SECONDS);

      ts.get(lagging).isolate(false);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!installed.containsKey(lagging) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      ApplyEvent.SnapshotInstalled got = installed.get(lagging);
      assertThat(got).as("%s installed the leader's snapshot", lagging).isNotNull();
      assertThat(got.index()).isEqualTo(last);
      assertThat(got.data()).isEqualTo(state);
      long after = leader.submit("after".getBytes()).block(Duration.ofSeconds(10)).index();
      while (appliedIndex.getOrDefault(lagging, 0L) < after && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(appliedIndex.get(lagging)).as("and then follows the log").isGreaterThanOrEqualTo(after);
      assertThat(ts.get(leader.id()).metrics().droppedOversize()).isZero();
    } finally {
      List<RaftNode> all = new ArrayList<>(nodes.values());
      all.forEach(RaftNode::close);
      TestKit.closeAll(ts);
    }
  }

  private static RaftNode awaitLeader(Iterable<RaftNode> nodes) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      for (RaftNode n : nodes) {
        if (n.state().role() == Role.LEADER) {
          return n;
        }
      }
      Thread.sleep(10);
    }
    throw new AssertionError("no leader within 20 s");
  }
}

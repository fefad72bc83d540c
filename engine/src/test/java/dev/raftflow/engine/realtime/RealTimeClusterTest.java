package dev.raftflow.engine.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.RaftOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/** A few scenarios on real threads and timers, so the real event loop is proven, not only the simulation. */
class RealTimeClusterTest {

  private static final RaftOptions OPTIONS = RaftOptions.builder()
      .tickInterval(Duration.ofMillis(5)).heartbeatTicks(4).electionTicks(20).build();

  @Test
  void electsOneLeaderAndCommitsConcurrentProposals() {
    try (RealTimeCluster c = new RealTimeCluster(3, OPTIONS)) {
      RaftNode leader = c.awaitLeader(Duration.ofSeconds(10));
      List<LogPosition> done = Flux.range(0, 2000)
          .flatMap(i -> leader.submit(("cmd-" + i).getBytes(StandardCharsets.UTF_8)), 64)
          .collectList()
          .block(Duration.ofSeconds(30));
      assertThat(done).hasSize(2000);
      RealTimeCluster.await(() -> c.ids.stream().allMatch(id -> c.appliedCount(id) == 2000),
          Duration.ofSeconds(10), "every node to apply 2000 commands");
      assertThat(c.errors).isEmpty();
    }
  }

  @Test
  void newLeaderAfterIsolationAndOldLeaderCatchesUp() {
    try (RealTimeCluster c = new RealTimeCluster(3, OPTIONS)) {
      RaftNode first = c.awaitLeader(Duration.ofSeconds(10));
      first.submit("a".getBytes(StandardCharsets.UTF_8)).block(Duration.ofSeconds(5));
      c.network.isolate(first.id());
      RealTimeCluster.await(() -> c.nodes.values().stream()
              .anyMatch(n -> n != first && n.state().isLeader() && n.state().term() > first.state().term() - 1
                  && !n.id().equals(first.id())),
          Duration.ofSeconds(10), "a new leader among the other two");
      RaftNode second = c.nodes.values().stream().filter(n -> n != first && n.state().isLeader()).findFirst().orElseThrow();
      for (int i = 0; i < 10; i++) {
        second.submit(("b" + i).getBytes(StandardCharsets.UTF_8)).block(Duration.ofSeconds(5));
      }
      c.network.reconnect(first.id());
      RealTimeCluster.await(() -> c.appliedCount(first.id()) == 11, Duration.ofSeconds(10),
          "the old leader to catch up");
      assertThat(c.errors).isEmpty();
    }
  }

  @Test
  void restartedFollowerRecoversFromItsStoreAndCatchesUp() {
    try (RealTimeCluster c = new RealTimeCluster(3, OPTIONS)) {
      RaftNode leader = c.awaitLeader(Duration.ofSeconds(10));
      for (int i = 0; i < 50; i++) {
        leader.submit(("x" + i).getBytes(StandardCharsets.UTF_8)).block(Duration.ofSeconds(5));
      }
      String follower = c.ids.stream().filter(id -> !id.equals(leader.id())).findFirst().orElseThrow();
      c.restart(follower);
      List<reactor.core.publisher.Mono<LogPosition>> more = new ArrayList<>();
      RaftNode now = c.awaitLeader(Duration.ofSeconds(10));
      for (int i = 0; i < 50; i++) {
        now.submit(("y" + i).getBytes(StandardCharsets.UTF_8)).block(Duration.ofSeconds(5));
      }
      RealTimeCluster.await(() -> c.appliedCount(follower) == 100, Duration.ofSeconds(10),
          "the restarted follower to apply all 100 commands");
      assertThat(c.errors).isEmpty();
      assertThat(more).isEmpty();
    }
  }
}

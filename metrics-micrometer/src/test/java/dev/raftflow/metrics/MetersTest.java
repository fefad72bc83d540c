package dev.raftflow.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.transport.rsocket.RSocketTransport;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The meters read what the node and the transport publish, with the documented names and tags. */
class MetersTest {

  private static final RaftOptions OPTIONS = RaftOptions.builder().tickInterval(Duration.ofMillis(5))
      .heartbeatTicks(2).electionTicks(20).build();

  @Test
  void aLeadersMetersCountItsWorkAndShowItsFollowers() throws Exception {
    MemoryNetwork net = new MemoryNetwork();
    List<String> ids = List.of("a", "b", "c");
    List<RaftNode> nodes = ids.stream().map(id -> RaftNode.builder().id(id).members(ids).transport(net.transport(id))
        .logStore(new MemoryLogStore()).options(OPTIONS).start()).toList();
    try {
      nodes.forEach(n -> n.applied().subscribe());
      RaftNode leader = awaitLeader(nodes);
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      RaftNodeMeters meters = new RaftNodeMeters(leader, Tags.of("group", "g1"));
      meters.bindTo(registry);
      for (int i = 0; i < 10; i++) {
        leader.submit(new byte[] {(byte) i}).block(Duration.ofSeconds(5));
      }
      assertThat(registry.get("raftflow.proposals.accepted").tags("node", leader.id(), "group", "g1")
          .functionCounter().count()).isGreaterThanOrEqualTo(10);
      assertThat(registry.get("raftflow.leader").gauge().value()).isEqualTo(1);
      assertThat(registry.get("raftflow.index.commit").gauge().value()).isGreaterThanOrEqualTo(10);
      FunctionTimer writes = registry.get("raftflow.log.writes").functionTimer();
      assertThat(writes.count()).isPositive();
      assertThat(writes.totalTime(TimeUnit.NANOSECONDS)).isPositive();

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (leader.followers().size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(10); // published on the next tick
      }
      meters.refreshFollowers();
      java.util.Collection<Meter> lag = registry.find("raftflow.follower.lag").meters();
      assertThat(lag).extracting(m -> m.getId().getTag("follower"))
          .containsExactlyInAnyOrderElementsOf(ids.stream().filter(id -> !id.equals(leader.id())).toList());
      assertThat(registry.find("raftflow.follower.lag").gauges()).allSatisfy(g -> assertThat(g.value()).isBetween(0.0, 10.0));
    } finally {
      nodes.forEach(RaftNode::close);
    }
  }

  @Test
  void transportMetersCountWhatWasSentAndDroppedByReason() throws Exception {
    RSocketTransport a = RSocketTransport.builder().clusterId("t").nodeId("a").bind("127.0.0.1", 0)
        .peers(List.of("a", "b")).start();
    RSocketTransport b = RSocketTransport.builder().clusterId("t").nodeId("b").bind("127.0.0.1", 0)
        .peers(List.of("a", "b")).start();
    try {
      a.peerAddress("b", b.localAddress());
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      new RSocketTransportMeters(a).bindTo(registry);
      b.inbound().subscribe();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (a.metrics().sentMessages() == 0 && System.nanoTime() < deadline) {
        a.send(new RequestVote(1, "a", "b", 0, 0));
        Thread.sleep(10);
      }
      a.send(new RequestVote(1, "a", "nobody", 0, 0)); // not a peer: dropped as unreachable
      assertThat(registry.get("raftflow.transport.messages.sent").tags("node", "a").functionCounter().count()).isPositive();
      assertThat(registry.get("raftflow.transport.dropped").tags("reason", "unreachable").functionCounter().count())
          .isGreaterThanOrEqualTo(1);
      assertThat(registry.find("raftflow.transport.dropped").functionCounters()).hasSize(4);
    } finally {
      a.close();
      b.close();
    }
  }

  private static RaftNode awaitLeader(List<RaftNode> nodes) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      for (RaftNode n : nodes) {
        if (n.state().isLeader()) {
          return n;
        }
      }
      Thread.sleep(5);
    }
    throw new AssertionError("no leader");
  }
}

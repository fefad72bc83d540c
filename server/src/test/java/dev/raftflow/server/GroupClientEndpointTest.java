package dev.raftflow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.client.Position;
import dev.raftflow.client.RemoteClient;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryHostLogStore;
import dev.raftflow.engine.memory.MemoryHostNetwork;
import dev.raftflow.engine.node.RaftHost;
import dev.raftflow.engine.node.RaftNode;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link ClientEndpoint#startForGroups}: a client names its group per connection and reaches that group's leader. */
class GroupClientEndpointTest {

  private static final List<String> HOSTS = List.of("h1", "h2", "h3");
  private final List<RaftHost> hosts = new ArrayList<>();
  private final List<ClientEndpoint> endpoints = new ArrayList<>();

  @AfterEach
  void close() {
    endpoints.forEach(ClientEndpoint::close);
    hosts.forEach(RaftHost::close);
  }

  @Test
  void eachConnectionServesTheGroupItNames() {
    MemoryHostNetwork net = new MemoryHostNetwork();
    RaftOptions fast = RaftOptions.builder().quiesce(true).tickInterval(Duration.ofMillis(5)).heartbeatTicks(2)
        .electionTicks(20).build();
    Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();
    for (String id : HOSTS) {
      RaftHost h = RaftHost.builder().transport(net.host(id)).logStore(new MemoryHostLogStore()).options(fast).loops(1)
          .random(new Random(id.hashCode())).build();
      hosts.add(h);
      for (String g : List.of("a", "b")) {
        RaftNode n = h.startGroup(g, HOSTS);
        n.applied().subscribe(); // the service takes what is applied
      }
      ClientEndpoint e = ClientEndpoint.startForGroups(g -> h.group(g).orElse(null), "127.0.0.1", 0);
      endpoints.add(e);
      addresses.put(id, e.address());
    }
    try (RemoteClient a = new RemoteClient(addresses, "a"); RemoteClient b = new RemoteClient(addresses, "b")) {
      Position pa1 = a.propose(new byte[] {1}, Duration.ofSeconds(5)).retryWhen(reactor.util.retry.Retry.fixedDelay(200, Duration.ofMillis(50))).block(Duration.ofSeconds(30));
      Position pa2 = a.propose(new byte[] {2}, Duration.ofSeconds(5)).retryWhen(reactor.util.retry.Retry.fixedDelay(200, Duration.ofMillis(50))).block(Duration.ofSeconds(30));
      Position pb = b.propose(new byte[] {3}, Duration.ofSeconds(5)).retryWhen(reactor.util.retry.Retry.fixedDelay(200, Duration.ofMillis(50))).block(Duration.ofSeconds(30));
      assertThat(pa2.index()).isEqualTo(pa1.index() + 1);
      RaftNode groupA = hosts.get(0).group("a").orElseThrow();
      RaftNode groupB = hosts.get(0).group("b").orElseThrow();
      assertThat(groupA.state().lastIndex()).as("group a's log holds both of its commands").isGreaterThanOrEqualTo(pa2.index());
      assertThat(groupB.state().lastIndex()).as("group b's log holds only its own: it is shorter").isLessThan(pa2.index());
      assertThat(pb.index()).isLessThan(pa2.index());
    }
    try (RemoteClient none = new RemoteClient(addresses)) {
      assertThatThrownBy(() -> none.propose(new byte[] {4}, Duration.ofSeconds(5)).block(Duration.ofSeconds(10)))
          .hasMessageContaining("name one in the connection's setup");
    }
  }
}

package dev.raftflow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.client.OutcomeUnknownException;
import dev.raftflow.client.Position;
import dev.raftflow.client.RemoteClient;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import dev.raftflow.engine.node.RaftNode;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three nodes in this JVM, each with a {@link ClientEndpoint} on 127.0.0.1, and a {@link
 * RemoteClient}: leader changes reach the client as pushes, without a proposal, and a proposal left
 * pending on a leader that steps down comes back as outcome-unknown.
 */
class FailoverOverTheWireTest {

  /** Elections after 1-2 s: a push must arrive well before a client could time out and look. */
  private static final RaftOptions OPTIONS = RaftOptions.builder()
      .tickInterval(Duration.ofMillis(10)).heartbeatTicks(5).electionTicks(100).build();
  /**
   * How long the hint may take to follow a change. No proposal is made while waiting, so without the
   * push the hint never moves and the wait fails at any bound; the bound is generous so that a
   * stalled machine (a CI run waited 1.9 s once) does not fail a push that did arrive.
   */
  private static final long PUSH_BOUND_MS = 5000;
  /** A proposal's timeout, far above the time a step-down or a pushed leader takes to fail it. */
  private static final Duration CUT_OFF_TIMEOUT = Duration.ofSeconds(30);
  /** A proposal that fails in less than this failed at the step-down or push, not at its timeout. */
  private static final long FAILED_EARLY_MS = 10_000;
  private static final List<String> IDS = List.of("n1", "n2", "n3");

  private final MemoryNetwork net = new MemoryNetwork();
  private final Map<String, RaftNode> nodes = new LinkedHashMap<>();
  private final List<ClientEndpoint> endpoints = new ArrayList<>();
  private final Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();

  @BeforeEach
  void start() {
    start(OPTIONS);
  }

  private void start(RaftOptions options) {
    for (String id : IDS) {
      RaftNode n = RaftNode.builder().id(id).members(IDS).transport(net.transport(id))
          .logStore(new MemoryLogStore()).options(options).start();
      n.applied().subscribe();
      nodes.put(id, n);
      ClientEndpoint e = ClientEndpoint.start(() -> n, "127.0.0.1", 0);
      endpoints.add(e);
      addresses.put(id, e.address());
    }
  }

  @AfterEach
  void stop() {
    endpoints.forEach(ClientEndpoint::close);
    nodes.values().forEach(RaftNode::close);
  }

  @Test
  void theClientHearsOfEachNewLeaderWithoutProposing() {
    String leader = awaitLeader(null);
    try (RemoteClient client = new RemoteClient(followerFirst(leader))) {
      assertThat(client.leaderHint()).isNotEqualTo(leader);
      client.state(client.leaderHint()).block(Duration.ofSeconds(5)); // first use: the client starts watching
      awaitWithin(PUSH_BOUND_MS, () -> leader.equals(client.leaderHint()), "the hint names " + leader);

      // a transfer: the hint follows at once, no proposal made
      String target = IDS.stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
      nodes.get(leader).transferLeadership(target).join();
      awaitWithin(PUSH_BOUND_MS, () -> target.equals(client.leaderHint()),
          "the hint names " + target + " after the transfer");

      // the leader's node stops: the survivors elect one and the client hears of it
      nodes.get(target).close();
      String next = awaitLeader(target);
      awaitWithin(PUSH_BOUND_MS, () -> next.equals(client.leaderHint()),
          "the hint names " + next + " once it leads");
      Position p = client.propose(bytes("after"), Duration.ofSeconds(5)).block(Duration.ofSeconds(6));
      assertThat(nodes.get(next).state().commitIndex()).isGreaterThanOrEqualTo(p.index());
    }
  }

  @Test
  void aProposalPendingOnALeaderThatStepsDownFailsAsOutcomeUnknown() {
    String leader = awaitLeader(null);
    try (RemoteClient client = new RemoteClient(followerFirst(leader))) {
      client.state(client.leaderHint()).block(Duration.ofSeconds(5));
      awaitWithin(PUSH_BOUND_MS, () -> leader.equals(client.leaderHint()), "the hint names " + leader);
      assertThat(client.propose(bytes("before"), Duration.ofSeconds(5)).block(Duration.ofSeconds(6))).isNotNull();

      net.isolate(leader); // it takes the proposal, cannot commit it, and steps down (CheckQuorum)
      long start = System.nanoTime();
      assertThatThrownBy(() -> client.propose(bytes("cut off"), CUT_OFF_TIMEOUT).block(CUT_OFF_TIMEOUT.plusSeconds(1)))
          .isInstanceOfSatisfying(OutcomeUnknownException.class, e -> assertThat(e.member()).isEqualTo(leader));
      assertThat(System.nanoTime() - start).as("failed at the step-down, not at a timeout")
          .isLessThan(TimeUnit.MILLISECONDS.toNanos(FAILED_EARLY_MS));

      String next = awaitLeader(leader);
      awaitWithin(PUSH_BOUND_MS, () -> next.equals(client.leaderHint()), "the hint names " + next);
      assertThat(client.propose(bytes("after"), Duration.ofSeconds(5)).block(Duration.ofSeconds(6)).term())
          .isEqualTo(nodes.get(next).state().term());
      net.reconnect(leader);
    }
  }

  /**
   * A leader cut off without CheckQuorum never steps down by itself: a proposal pending on it fails
   * as outcome-unknown as soon as the client hears (pushed by another member) that a newer leader
   * was elected, not at the client's timeout.
   */
  @Test
  void aProposalPendingOnADeposedLeaderFailsWhenTheNewLeaderIsPushed() {
    stop();
    start(OPTIONS.toBuilder().checkQuorum(false).build());
    String leader = awaitLeader(null);
    try (RemoteClient client = new RemoteClient(followerFirst(leader))) {
      client.state(client.leaderHint()).block(Duration.ofSeconds(5));
      awaitWithin(PUSH_BOUND_MS, () -> leader.equals(client.leaderHint()), "the hint names " + leader);
      assertThat(client.propose(bytes("before"), Duration.ofSeconds(5)).block(Duration.ofSeconds(6))).isNotNull();

      net.isolate(leader); // it takes the proposal and waits for ever: it still believes it leads
      long start = System.nanoTime();
      assertThatThrownBy(() -> client.propose(bytes("cut off"), CUT_OFF_TIMEOUT).block(CUT_OFF_TIMEOUT.plusSeconds(1)))
          .isInstanceOfSatisfying(OutcomeUnknownException.class, e -> {
            assertThat(e.member()).isEqualTo(leader);
            assertThat(e.leaderId()).isNotEqualTo(leader).isNotNull();
          });
      assertThat(System.nanoTime() - start).as("failed when the new leader was pushed, not at the timeout")
          .isLessThan(TimeUnit.MILLISECONDS.toNanos(FAILED_EARLY_MS));
      assertThat(nodes.get(leader).state().isLeader()).as("the old leader still believes it leads").isTrue();
      assertThat(client.propose(bytes("after"), Duration.ofSeconds(5)).block(Duration.ofSeconds(6))).isNotNull();
      net.reconnect(leader);
    }
  }

  /** The endpoints with a follower first, so the client's first guess is wrong. */
  private Map<String, InetSocketAddress> followerFirst(String leader) {
    Map<String, InetSocketAddress> m = new LinkedHashMap<>();
    addresses.forEach((id, a) -> {
      if (!id.equals(leader)) {
        m.put(id, a);
      }
    });
    m.put(leader, addresses.get(leader));
    return m;
  }

  private String awaitLeader(String not) {
    return TestWaits.awaitLeader(nodes.values(), not, 15);
  }

  private static void awaitWithin(long ms, BooleanSupplier condition, String what) {
    TestWaits.awaitWithin(ms, condition, what);
  }

  private static byte[] bytes(String s) {
    return TestWaits.bytes(s);
  }
}

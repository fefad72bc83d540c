package dev.raftflow.engine.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;

/** {@link RaftNode#leaderChanges()}: the current value, each change, completion on close, never the loop's thread. */
class LeaderChangesTest {

  private static final RaftOptions FAST = RaftOptions.builder()
      .tickInterval(Duration.ofMillis(2)).heartbeatTicks(2).electionTicks(10).build();
  private static final RaftOptions STEADY = RaftOptions.builder()
      .tickInterval(Duration.ofMillis(10)).heartbeatTicks(3).electionTicks(30).build();

  private static RaftNode node(MemoryNetwork net, String id, List<String> members, RaftOptions options) {
    return RaftNode.builder().id(id).members(members).transport(net.transport(id)).logStore(new MemoryLogStore())
        .options(options).start();
  }

  @Test
  void aSingleNodeReportsItsElectionThenCompletesOnClose() throws Exception {
    MemoryNetwork net = new MemoryNetwork();
    RaftNode n = node(net, "a", List.of("a"), FAST);
    List<Leadership> seen = new CopyOnWriteArrayList<>();
    List<String> threads = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    n.leaderChanges().subscribe(l -> {
      seen.add(l);
      threads.add(Thread.currentThread().getName());
    }, e -> {}, done::countDown);
    await(() -> seen.stream().anyMatch(l -> l.role() == Role.LEADER));
    Leadership led = seen.stream().filter(l -> l.role() == Role.LEADER).findFirst().orElseThrow();
    assertThat(led.leaderId()).isEqualTo("a");
    assertThat(seen).extracting(Leadership::term).isSorted();
    // a late subscriber starts from the current value
    assertThat(n.leaderChanges().blockFirst(Duration.ofSeconds(5))).isEqualTo(led);
    n.close();
    assertThat(done.await(5, TimeUnit.SECONDS)).as("completes when the node closes").isTrue();
    assertThat(n.leaderChanges().collectList().block(Duration.ofSeconds(5))).containsExactly(led);
    assertThat(threads).allSatisfy(t -> assertThat(t).startsWith("parallel"));
  }

  @Test
  void followersHearOfATransferAndAStalledSubscriberDoesNotHoldTheNodeUp() throws Exception {
    MemoryNetwork net = new MemoryNetwork();
    List<String> ids = List.of("a", "b", "c");
    List<RaftNode> nodes = ids.stream().map(id -> node(net, id, ids, STEADY)).toList();
    CountDownLatch release = new CountDownLatch(1);
    List<Leadership> stalled = new CopyOnWriteArrayList<>();
    try {
      nodes.forEach(n -> n.applied().subscribe());
      RaftNode leader = awaitLeader(nodes);
      RaftNode follower = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
      RaftNode target = nodes.stream().filter(n -> n != leader && n != follower).findFirst().orElseThrow();
      // on the leader: a subscriber that takes one value and then blocks its thread
      leader.leaderChanges().subscribe(new BaseSubscriber<Leadership>() {
        @Override
        protected void hookOnSubscribe(org.reactivestreams.Subscription s) {
          s.request(1);
        }

        @Override
        protected void hookOnNext(Leadership l) {
          stalled.add(l);
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          request(1);
        }
      });
      List<Leadership> onFollower = new CopyOnWriteArrayList<>();
      follower.leaderChanges().subscribe(onFollower::add);
      await(() -> !stalled.isEmpty() && !onFollower.isEmpty());
      long termBefore = onFollower.get(onFollower.size() - 1).term();

      leader.transferLeadership(target.id()).get(10, TimeUnit.SECONDS);
      await(() -> onFollower.get(onFollower.size() - 1).leaderId() != null
          && onFollower.get(onFollower.size() - 1).leaderId().equals(target.id()));
      Leadership last = onFollower.get(onFollower.size() - 1);
      assertThat(last.term()).isGreaterThan(termBefore);
      assertThat(last.role()).isEqualTo(Role.FOLLOWER);
      // the old leader's loop went on while its subscriber was stuck: the group commits (on a loaded
      // machine the new leader may have lost its lead again: the proposal goes to whoever leads)
      assertThat(submitToLeader(nodes).term()).isGreaterThanOrEqualTo(last.term());
      assertThat(stalled).hasSize(1);
      release.countDown();
      // released, the subscriber gets the old leader's latest value, changes in between skipped
      await(() -> stalled.get(stalled.size() - 1).equals(leader.leaderChanges().blockFirst(Duration.ofSeconds(5))));
      assertThat(stalled.get(stalled.size() - 1).term()).isGreaterThanOrEqualTo(last.term());
      assertThat(stalled.get(stalled.size() - 1).role()).isNotEqualTo(Role.LEADER);
    } finally {
      release.countDown();
      nodes.forEach(RaftNode::close);
    }
  }

  @Test
  void manySubscribersEachGetTheCurrentValue() {
    MemoryNetwork net = new MemoryNetwork();
    try (RaftNode n = node(net, "a", List.of("a"), FAST)) {
      await(() -> n.state().isLeader());
      List<Leadership> firsts = Flux.range(0, 20).flatMap(i -> n.leaderChanges().take(1)).collectList()
          .block(Duration.ofSeconds(5));
      assertThat(firsts).hasSize(20).allSatisfy(l -> assertThat(l.leaderId()).isEqualTo("a"));
    }
  }

  /** A command committed through whichever node leads, retried while leadership moves (10 s at most). */
  private static dev.raftflow.engine.LogPosition submitToLeader(List<RaftNode> nodes) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        return awaitLeader(nodes).submit(new byte[] {1}).block(Duration.ofSeconds(5));
      } catch (dev.raftflow.engine.NotLeaderException e) {
        assertThat(System.nanoTime()).as("a command committed within 10 s").isLessThan(deadline);
      }
    }
  }

  private static RaftNode awaitLeader(List<RaftNode> nodes) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      for (RaftNode n : nodes) {
        if (n.state().isLeader()) {
          return n;
        }
      }
      assertThat(System.nanoTime()).as("a leader within 20 s").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  private static void await(java.util.function.BooleanSupplier condition) {
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

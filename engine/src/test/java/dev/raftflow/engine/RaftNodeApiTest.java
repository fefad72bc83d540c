package dev.raftflow.engine;

import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.LeadershipTransferException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.message.VoteResponse;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The embedding API's promises on bad input, on a real single-node and three-node group. */
class RaftNodeApiTest {

  private static final RaftOptions FAST = RaftOptions.builder()
      .tickInterval(Duration.ofMillis(2)).heartbeatTicks(2).electionTicks(10).build();

  /** Timeouts long enough that a GC pause on a busy machine does not change the leader mid-test. */
  private static final RaftOptions STEADY = RaftOptions.builder()
      .tickInterval(Duration.ofMillis(10)).heartbeatTicks(3).electionTicks(30).build();

  private static RaftNode single(MemoryNetwork net) {
    return RaftNode.builder().id("a").members(List.of("a")).transport(net.transport("a"))
        .logStore(new MemoryLogStore()).options(FAST).start();
  }

  /** The first node seen leading; fails once {@code deadline} (System.nanoTime) passes. */
  private static RaftNode awaitLeaderAmong(List<RaftNode> nodes, long deadline) {
    while (true) {
      assertThat(System.nanoTime()).as("a leader before the deadline").isLessThan(deadline);
      for (RaftNode n : nodes) {
        if (n.state().isLeader()) {
          return n;
        }
      }
      Thread.onSpinWait();
    }
  }

  private static void awaitLeader(RaftNode n) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!n.state().isLeader()) {
      assertThat(System.nanoTime()).as("leader within 10 s").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  @Test
  void singleNodeCommitsAndAppliesInOrder() {
    MemoryNetwork net = new MemoryNetwork();
    try (RaftNode n = single(net)) {
      List<ApplyEvent> applied = new CopyOnWriteArrayList<>();
      n.applied().subscribe(applied::add);
      awaitLeader(n);
      LogPosition p1 = n.submit(new byte[] {1}).block(Duration.ofSeconds(5));
      LogPosition p2 = n.submit(new byte[] {2}).block(Duration.ofSeconds(5));
      assertThat(p2.index()).isEqualTo(p1.index() + 1);
      assertThat(applied).extracting(ApplyEvent::index).containsSubsequence(p1.index(), p2.index());
      assertThat(n.state().commitIndex()).isGreaterThanOrEqualTo(p2.index());
    }
  }

  @Test
  void proposalToAFollowerFailsWithNotLeaderNamingTheLeader() {
    MemoryNetwork net = new MemoryNetwork();
    List<String> ids = List.of("a", "b", "c");
    List<RaftNode> nodes = ids.stream().map(id -> RaftNode.builder().id(id).members(ids).transport(net.transport(id))
        .logStore(new MemoryLogStore()).options(FAST).start()).toList();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      RaftNode follower = null;
      String leader = null;
      while (follower == null) {
        assertThat(System.nanoTime()).isLessThan(deadline);
        for (RaftNode n : nodes) {
          NodeState s = n.state();
          if (s.role() == Role.FOLLOWER && s.leaderId() != null) {
            follower = n;
            leader = s.leaderId();
          }
        }
      }
      String expectedLeader = leader;
      assertThatThrownBy(() -> nodes.stream().filter(n -> n.state().role() == Role.FOLLOWER && n.state().leaderId() != null)
              .findFirst().orElseThrow().propose(new byte[] {1}).join())
          .isInstanceOf(CompletionException.class)
          .cause().isInstanceOf(NotLeaderException.class)
          .satisfies(e -> assertThat(((NotLeaderException) e).leaderId()).isNotNull());
      assertThat(expectedLeader).isIn(ids);
    } finally {
      nodes.forEach(RaftNode::close);
    }
  }

  @Test
  void metricsCountWhatEachNodeDid() throws Exception {
    MemoryNetwork net = new MemoryNetwork();
    List<String> ids = List.of("a", "b", "c");
    List<RaftNode> nodes = ids.stream().map(id -> RaftNode.builder().id(id).members(ids).transport(net.transport(id))
        .logStore(new MemoryLogStore()).options(STEADY).start()).toList();
    try {
      nodes.forEach(n -> n.applied().subscribe());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      RaftNode leader = awaitLeaderAmong(nodes, deadline);
      long last = 0;
      for (int i = 0; i < 50; i++) {
        last = leader.submit(new byte[] {(byte) i}).block(Duration.ofSeconds(5)).index();
      }
      leader.readIndex().get(5, TimeUnit.SECONDS);
      RaftNode follower = nodes.stream().filter(n -> !n.state().isLeader()).findFirst().orElseThrow();
      while (follower.state().appliedIndex() < last) { // it has every entry before the snapshot is taken
        assertThat(System.nanoTime()).as("follower applies within 10 s").isLessThan(deadline);
        Thread.onSpinWait();
      }
      leader.snapshot(last, new byte[] {1, 2, 3}).get(5, TimeUnit.SECONDS);
      assertThatThrownBy(() -> follower.propose(new byte[] {9}).join()).cause().isInstanceOf(NotLeaderException.class);

      NodeMetrics m = leader.metrics();
      assertThat(m.proposalsAccepted()).isEqualTo(50);
      assertThat(m.leadershipsWon()).isEqualTo(1);
      assertThat(m.electionsStarted()).isGreaterThanOrEqualTo(1);
      assertThat(m.entriesWritten()).as("the commands and the leader's no-op").isGreaterThanOrEqualTo(51);
      assertThat(m.logWrites()).as("entries, votes, the snapshot").isPositive();
      assertThat(m.meanLogWriteMicros()).isPositive();
      assertThat(m.messagesSent()).as("one command at a time: at least one AppendEntries each").isGreaterThanOrEqualTo(50);
      assertThat(m.messagesReceived()).isPositive();
      assertThat(m.readsConfirmed()).isEqualTo(1);
      assertThat(m.snapshotsTaken()).isEqualTo(1);
      assertThat(m.proposalsRefused()).isZero();
      NodeMetrics f = follower.metrics();
      assertThat(f.proposalsRefused()).isEqualTo(1);
      assertThat(f.proposalsAccepted()).isZero();
      assertThat(f.entriesWritten()).as("it holds the leader's entries").isGreaterThanOrEqualTo(50);
      assertThat(f.messagesReceived()).isPositive();
    } finally {
      nodes.forEach(RaftNode::close);
    }
  }

  @Test
  void aLinearizableReadWaitsForALeaderConfirmationAndTheAppliedIndex() {
    MemoryNetwork net = new MemoryNetwork();
    List<String> ids = List.of("a", "b", "c");
    List<RaftNode> nodes = ids.stream().map(id -> RaftNode.builder().id(id).members(ids).transport(net.transport(id))
        .logStore(new MemoryLogStore()).options(STEADY).start()).toList();
    List<List<Long>> applied = new ArrayList<>();
    for (RaftNode n : nodes) {
      List<Long> mine = new CopyOnWriteArrayList<>();
      applied.add(mine);
      n.applied().subscribe(ev -> mine.add(ev.index()));
    }
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      RaftNode leader = awaitLeaderAmong(nodes, deadline);
      long written = 0;
      for (int i = 0; i < 20; i++) {
        written = leader.submit(new byte[] {(byte) i}).block(Duration.ofSeconds(5)).index();
      }
      List<Long> leaderApplied = applied.get(nodes.indexOf(leader));
      for (int i = 0; i < 20; i++) {
        long readAt = leader.readIndex().get(5, TimeUnit.SECONDS);
        assertThat(readAt).as("the read point covers every write acknowledged before").isGreaterThanOrEqualTo(written);
        assertThat(leaderApplied).as("the service was handed the read point before the answer").contains(readAt);
      }
      RaftNode follower = nodes.stream().filter(n -> !n.state().isLeader()).findFirst().orElseThrow();
      assertThatThrownBy(() -> follower.readIndex().join()).cause().isInstanceOf(NotLeaderException.class);
      assertThatThrownBy(() -> follower.transferLeadership(follower.id()).join()).cause()
          .isInstanceOf(NotLeaderException.class);
      RaftNode theLeader = leader;
      assertThatThrownBy(() -> theLeader.transferLeadership("z").join()).cause()
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a voter");
      assertThat(theLeader.transferLeadership(theLeader.id())).as("to itself: nothing to do")
          .succeedsWithin(Duration.ofSeconds(5));
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      nodes.forEach(RaftNode::close);
    }
  }

  @Test
  void aTransferWhoseOutcomeNeverReachesTheOldLeaderFailsAfterTwoElectionTimeouts() throws Exception {
    MemoryNetwork net = new MemoryNetwork();
    List<String> ids = List.of("a", "b", "c");
    java.util.concurrent.atomic.AtomicBoolean deaf = new java.util.concurrent.atomic.AtomicBoolean();
    List<RaftNode> nodes = ids.stream().map(id -> {
      dev.raftflow.engine.spi.Transport t = net.transport(id);
      dev.raftflow.engine.spi.Transport filtered = new dev.raftflow.engine.spi.Transport() {
        @Override
        public void send(dev.raftflow.engine.message.Message m) {
          t.send(m);
        }

        @Override
        public reactor.core.publisher.Flux<dev.raftflow.engine.message.Message> inbound() {
          // once deaf, a member hears votes (so it learns the new term) but no leader's appends
          return t.inbound().filter(m -> !(deaf.get() && m instanceof dev.raftflow.engine.message.AppendEntries));
        }

        @Override
        public void close() {
          t.close();
        }
      };
      return RaftNode.builder().id(id).members(ids).transport(id.equals("a") ? filtered : t)
          .logStore(new MemoryLogStore()).options(STEADY.toBuilder().preVote(false).build()).start();
    }).toList();
    try {
      RaftNode a = nodes.get(0);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!a.state().isLeader()) { // make "a" lead: hand over until it does
        assertThat(System.nanoTime()).as("a leads within 20 s").isLessThan(deadline);
        for (RaftNode n : nodes) {
          if (n != a && n.state().isLeader()) {
            n.transferLeadership("a").handle((v, e) -> null).get(5, TimeUnit.SECONDS);
          }
        }
        Thread.sleep(10);
      }
      deaf.set(true);
      CompletableFuture<Void> moved = a.transferLeadership("b");
      Throwable why = moved.handle((v, e) -> e).get(10, TimeUnit.SECONDS);
      assertThat(why).isInstanceOfSatisfying(LeadershipTransferException.class,
          e -> assertThat(e.reason()).isEqualTo(LeadershipTransferException.Reason.UNKNOWN));
    } finally {
      nodes.forEach(RaftNode::close);
    }
  }

  @Test
  void closedNodeRefusesEverythingClearlyAndDoesNotHang() {
    MemoryNetwork net = new MemoryNetwork();
    RaftNode n = single(net);
    awaitLeader(n);
    n.close();
    n.onClose().block(Duration.ofSeconds(5));
    assertThatThrownBy(() -> n.propose(new byte[] {1}).join()).cause().isInstanceOf(NodeClosedException.class);
    assertThatThrownBy(() -> n.submit(new byte[] {1}).block(Duration.ofSeconds(1))).isInstanceOf(NodeClosedException.class);
    assertThatThrownBy(() -> n.snapshot(1, new byte[0]).join()).cause().isInstanceOf(NodeClosedException.class);
    assertThatThrownBy(() -> n.readIndex().join()).cause().isInstanceOf(NodeClosedException.class);
    assertThatThrownBy(() -> n.transferLeadership("a").join()).cause().isInstanceOf(NodeClosedException.class);
    assertThat(n.isClosed()).isTrue();
    n.close(); // idempotent
  }

  @Test
  void snapshotBeyondAppliedIsRejectedAndStaleSnapshotIgnored() {
    MemoryNetwork net = new MemoryNetwork();
    try (RaftNode n = single(net)) {
      n.applied().subscribe();
      awaitLeader(n);
      LogPosition p = n.submit(new byte[] {1}).block(Duration.ofSeconds(5));
      assertThatThrownBy(() -> n.snapshot(p.index() + 5, new byte[] {9}).join())
          .cause().isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beyond the applied index");
      n.snapshot(p.index(), new byte[] {9}).join();
      n.snapshot(p.index() - 1, new byte[] {8}).join(); // behind the current snapshot: ignored
      assertThat(n.submit(new byte[] {2}).block(Duration.ofSeconds(5)).index()).isEqualTo(p.index() + 1);
    }
  }

  @Test
  void answersFromUnknownPeersAreDroppedAndTheNodeKeepsWorking() {
    MemoryNetwork net = new MemoryNetwork();
    try (RaftNode n = single(net)) {
      n.applied().subscribe();
      awaitLeader(n);
      // a vote request is taken from anyone (thesis §4.1), but a leader in its lease ignores it
      net.transport("intruder").send(new RequestVote(999, "intruder", "a", 1000, 999));
      net.transport("intruder").send(new VoteResponse(999, "intruder", "a", true));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (n.droppedMessages() == 0) {
        assertThat(System.nanoTime()).isLessThan(deadline);
        Thread.onSpinWait();
      }
      assertThat(n.state().term()).isLessThan(999);
      assertThat(n.submit(new byte[] {1}).block(Duration.ofSeconds(5))).isNotNull();
    }
  }

  @Test
  void secondApplySubscriberIsRefused() {
    MemoryNetwork net = new MemoryNetwork();
    try (RaftNode n = single(net)) {
      n.applied().subscribe();
      assertThatThrownBy(() -> n.applied().blockFirst(Duration.ofSeconds(1)))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("already has a subscriber");
    }
  }

  @Test
  void fullProposalQueueSaysOverloaded() {
    MemoryNetwork net = new MemoryNetwork();
    RaftOptions tiny = FAST.toBuilder().maxPendingProposals(1).build();
    try (RaftNode n = RaftNode.builder().id("a").members(List.of("a")).transport(net.transport("a"))
        .logStore(new MemoryLogStore()).options(tiny).start()) {
      awaitLeader(n);
      int overloaded = 0;
      var futures = new java.util.ArrayList<java.util.concurrent.CompletableFuture<LogPosition>>();
      for (int i = 0; i < 10_000; i++) {
        futures.add(n.propose(new byte[] {1}));
      }
      for (var f : futures) {
        try {
          f.join();
        } catch (CompletionException e) {
          assertThat(e.getCause()).isInstanceOf(OverloadedException.class).hasMessageContaining("maxPendingProposals");
          overloaded++;
        }
      }
      assertThat(overloaded).isPositive();
    }
  }

  @Test
  void aCommandAboveTheOptionOrTheStoreLimitIsRefusedAndTheNodeKeepsWorking() {
    MemoryNetwork net = new MemoryNetwork();
    MemoryLogStore memory = new MemoryLogStore();
    LogStore smallEntries = new LogStore() { // a store that takes entries of at most 100 bytes
      @Override
      public PersistentState load() {
        return memory.load();
      }

      @Override
      public java.util.concurrent.CompletableFuture<Void> write(LogWrite w) {
        return memory.write(w);
      }

      @Override
      public int maxEntryBytes() {
        return 100;
      }

      @Override
      public void close() {
        memory.close();
      }
    };
    RaftOptions limited = FAST.toBuilder().maxCommandBytes(1000).build();
    try (RaftNode big = RaftNode.builder().id("a").members(List.of("a")).transport(net.transport("a"))
        .logStore(new MemoryLogStore()).options(limited).start();
        RaftNode small = RaftNode.builder().id("b").members(List.of("b")).transport(net.transport("b"))
            .logStore(smallEntries).options(limited).start()) {
      big.applied().subscribe();
      small.applied().subscribe();
      awaitLeader(big);
      awaitLeader(small);
      assertThatThrownBy(() -> big.propose(new byte[1001]).join()).hasCauseInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("1001 bytes exceeds").hasMessageContaining("limit of 1000").hasMessageContaining("maxCommandBytes");
      assertThatThrownBy(() -> small.submit(new byte[101]).block(Duration.ofSeconds(5)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit of 100").hasMessageContaining("maxEntryBytes");
      long lastBefore = big.state().lastIndex();
      assertThat(big.submit(new byte[1000]).block(Duration.ofSeconds(5)).index()).isEqualTo(lastBefore + 1);
      assertThat(small.submit(new byte[100]).block(Duration.ofSeconds(5))).isNotNull();
    }
  }

  @Test
  void aServiceThatStopsConsumingMakesProposalsOverloadedInsteadOfGrowingTheLog() {
    MemoryNetwork net = new MemoryNetwork();
    RaftOptions bounded = FAST.toBuilder().maxUnappliedEntries(100).build();
    try (RaftNode n = RaftNode.builder().id("a").members(List.of("a")).transport(net.transport("a"))
        .logStore(new MemoryLogStore()).options(bounded).start()) {
      n.applied().subscribe(new reactor.core.publisher.BaseSubscriber<ApplyEvent>() {
        @Override
        protected void hookOnSubscribe(org.reactivestreams.Subscription s) {
          s.request(10); // takes ten entries, then stalls
        }
      });
      awaitLeader(n);
      int accepted = 0;
      int overloaded = 0;
      for (int i = 0; i < 1000; i++) {
        try {
          n.propose(new byte[] {1}).join();
          accepted++;
        } catch (CompletionException e) {
          assertThat(e.getCause()).isInstanceOf(OverloadedException.class).hasMessageContaining("maxUnappliedEntries");
          overloaded++;
        }
      }
      assertThat(accepted).isBetween(100, 111);
      assertThat(overloaded).isEqualTo(1000 - accepted);
      assertThat(n.state().lastIndex() - n.state().appliedIndex()).isLessThanOrEqualTo(100);
    }
  }

  @Test
  void invalidBuilderInputNamesTheOption() {
    MemoryNetwork net = new MemoryNetwork();
    assertThatThrownBy(() -> RaftNode.builder().id("a").members(List.of("a", "b", "a")).transport(net.transport("a"))
        .logStore(new MemoryLogStore()).start()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicates");
    assertThatThrownBy(() -> RaftNode.builder().id("z").members(List.of("a", "b")).transport(net.transport("z"))
        .logStore(new MemoryLogStore()).start()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not contain id z");
    assertThatThrownBy(() -> RaftNode.builder().id("a").members(List.of("a")).logStore(new MemoryLogStore()).start())
        .hasMessageContaining("transport");
    assertThatThrownBy(() -> RaftOptions.builder().heartbeatTicks(10).electionTicks(10).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("electionTicks");
    assertThatThrownBy(() -> RaftOptions.builder().maxInflightMessages(0).build())
        .hasMessageContaining("maxInflightMessages");
    assertThatThrownBy(() -> RaftOptions.builder().tickInterval(Duration.ZERO).build()).hasMessageContaining("tickInterval");
    assertThatThrownBy(() -> RaftOptions.builder().maxCommandBytes(0).build()).hasMessageContaining("maxCommandBytes");
    assertThatThrownBy(() -> RaftOptions.builder().logEntriesInMemory(0).build())
        .hasMessageContaining("logEntriesInMemory must be positive");
    assertThat(RaftOptions.defaults().logEntriesInMemory()).as("all in memory by default").isEqualTo(Integer.MAX_VALUE);
  }
}

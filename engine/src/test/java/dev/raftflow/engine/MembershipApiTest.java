package dev.raftflow.engine;

import dev.raftflow.engine.node.RaftNode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Membership changes through the embedding API, on a real group over the in-memory transport. */
class MembershipApiTest {

  /**
   * Elections after 1-2 s: the tests hold leader references across steps, and shorter timeouts let
   * a loaded host's pauses move the leadership under them.
   */
  private static final RaftOptions STEADY = RaftOptions.builder()
      .tickInterval(Duration.ofMillis(10)).heartbeatTicks(10).electionTicks(100).build();

  private final MemoryNetwork net = new MemoryNetwork();
  private final List<RaftNode> nodes = new ArrayList<>();

  private static final List<String> ABC = List.of("a", "b", "c");

  @AfterEach
  void closeAll() {
    nodes.forEach(RaftNode::close);
  }

  /** Starts members a, b and c and returns the first one seen leading. */
  private RaftNode startABC() {
    ABC.forEach(id -> start(id, ABC, false));
    return awaitLeader(Set.copyOf(ABC));
  }

  private RaftNode start(String id, List<String> members, boolean joining) {
    RaftNode n = RaftNode.builder().id(id).members(members).joining(joining).transport(net.transport(id))
        .logStore(new MemoryLogStore()).options(STEADY).start();
    n.applied().subscribe();
    nodes.add(n);
    return n;
  }

  private static void await(String what, BooleanSupplier cond) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!cond.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  private RaftNode awaitLeader(Set<String> among) {
    RaftNode[] found = new RaftNode[1];
    await("a leader among " + among, () -> {
      for (RaftNode n : nodes) {
        if (among.contains(n.id()) && !n.isClosed() && n.state().isLeader()) {
          found[0] = n;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  private static long submitSome(RaftNode leader, int count) {
    long last = 0;
    for (int i = 0; i < count; i++) {
      last = leader.submit(new byte[] {(byte) i}).block(Duration.ofSeconds(10)).index();
    }
    return last;
  }

  @Test
  void aNodeJoinsAsALearnerIsPromotedAndAnotherIsRemoved() throws Exception {
    RaftNode leader = startABC();
    submitSome(leader, 20);

    RaftNode d = start("d", ABC, true);
    Membership withLearner = leader.addLearner("d").get(20, TimeUnit.SECONDS);
    assertThat(withLearner).isEqualTo(Membership.of(Set.of("a", "b", "c"), Set.of("d")));
    long last = submitSome(leader, 5);
    await("the learner catches up", () -> d.state().appliedIndex() >= last);
    assertThat(d.membership()).isEqualTo(withLearner);
    assertThatThrownBy(() -> leader.transferLeadership("d").join()).hasCauseInstanceOf(IllegalArgumentException.class);

    assertThat(leader.addVoter("d").get(20, TimeUnit.SECONDS)).isEqualTo(Membership.ofVoters(Set.of("a", "b", "c", "d")));
    String gone = ABC.stream().filter(id -> !id.equals(leader.id())).findFirst().orElseThrow();
    Membership after = leader.removeMember(gone).get(20, TimeUnit.SECONDS);
    assertThat(after.voters()).hasSize(3).contains("d").doesNotContain(gone);

    long more = submitSome(leader, 5);
    for (RaftNode n : nodes) {
      if (!n.id().equals(gone)) {
        await(n.id() + " applies the entries after the change", () -> n.state().appliedIndex() >= more);
        assertThat(n.membership()).as(n.id()).isEqualTo(after);
      }
    }
  }

  @Test
  void aLeaderThatRemovesItselfStepsDownAndTheOthersGoOn() throws Exception {
    RaftNode leader = startABC();
    submitSome(leader, 5);
    Membership after = leader.removeMember(leader.id()).get(20, TimeUnit.SECONDS);
    assertThat(after.voters()).hasSize(2).doesNotContain(leader.id());
    await("the removed leader steps down", () -> !leader.state().isLeader());
    RaftNode next = awaitLeader(after.voters());
    long last = submitSome(next, 5);
    assertThat(last).isPositive();
    assertThat(leader.state().role()).as("a removed member never campaigns").isEqualTo(Role.FOLLOWER);
  }

  @Test
  void aJoiningNodeTakesTheLogFromALeaderItWasNotToldOf() throws Exception {
    RaftNode leader = startABC();
    long last = submitSome(leader, 10);
    RaftNode d = start("d", List.of("x", "y", "z"), true); // out-of-date members
    leader.addLearner("d").get(20, TimeUnit.SECONDS);
    await("d catches up", () -> d.state().appliedIndex() >= last);
    assertThat(d.membership().learners()).containsExactly("d");
    assertThat(d.droppedMessages()).isZero();
  }

  /**
   * Regression (review): a voter alone in its configuration wins at once; while the write of its new
   * term was still in flight, a later turn's appends to a learner went out under that term. Had it
   * crashed before the write, it could have won the same term again with other entries.
   */
  @Test
  void aLoneVoterSendsNothingUnderANewTermBeforeThatTermIsDurable() throws Exception {
    MemoryLogStore disk = new MemoryLogStore();
    disk.write(new dev.raftflow.engine.spi.LogWrite(new dev.raftflow.engine.spi.HardState(1, "a"), null,
        List.of(dev.raftflow.engine.message.LogEntry.config(1, 1, Membership.of(Set.of("a"), Set.of("l")))), 1, 1));
    java.util.concurrent.atomic.AtomicLong termDurableAt = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
    dev.raftflow.engine.spi.LogStore slowTerms = new dev.raftflow.engine.spi.LogStore() {
      @Override
      public dev.raftflow.engine.spi.PersistentState load() {
        return disk.load();
      }

      @Override
      public CompletableFuture<Void> write(dev.raftflow.engine.spi.LogWrite w) {
        if (w.hardState() == null) {
          return disk.write(w);
        }
        // the write of a term takes 300 ms: heartbeats fall due meanwhile
        return CompletableFuture.runAsync(() -> {
          disk.write(w);
          termDurableAt.compareAndSet(Long.MAX_VALUE, System.nanoTime());
        }, CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
      }

      @Override
      public void close() {}
    };
    List<Long> earlyArrivals = new java.util.concurrent.CopyOnWriteArrayList<>();
    net.transport("l").inbound().subscribe(m -> {
      if (m.term() >= 2 && System.nanoTime() < termDurableAt.get()) {
        earlyArrivals.add(m.term());
      }
    });
    RaftNode a = RaftNode.builder().id("a").members(List.of("a")).transport(net.transport("a")).logStore(slowTerms)
        .options(RaftOptions.builder().tickInterval(Duration.ofMillis(5)).heartbeatTicks(2).electionTicks(10).build())
        .start();
    nodes.add(a);
    await("a leads term 2 and its term is durable", () -> a.state().isLeader() && termDurableAt.get() != Long.MAX_VALUE);
    assertThat(a.state().term()).isEqualTo(2);
    Thread.sleep(50); // heartbeats under the durable term do go out
    assertThat(earlyArrivals).as("messages of term 2 that reached the learner before term 2 was durable").isEmpty();
  }

  /**
   * Regression (review): a member cut off while a new member was added and handed leadership came
   * back holding the old configuration and dropped every message of the new leader as a stranger's.
   */
  @Test
  void aFollowerThatMissedTheAdditionOfTheNewLeaderCatchesUpUnderIt() throws Exception {
    RaftNode leader = startABC();
    submitSome(leader, 5);
    RaftNode lagger = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
    net.isolate(lagger.id());
    RaftNode d = start("d", ABC, true);
    leader.addLearner("d").get(20, TimeUnit.SECONDS);
    leader.addVoter("d").get(20, TimeUnit.SECONDS);
    leader.transferLeadership("d").get(20, TimeUnit.SECONDS);
    await("d leads", () -> d.state().isLeader());
    net.reconnect(lagger.id());
    long last = submitSome(d, 5);
    await(lagger.id() + " catches up under leader d", () -> lagger.state().appliedIndex() >= last);
    assertThat(lagger.membership().voters()).contains("d");
  }

  /**
   * Submits on a leader that removes itself must all settle, one way or the other: entries it
   * appended after the configuration that removes it may commit only after it stepped down, and it
   * never hears of them again (found in review by reading the code; the in-memory network commits
   * too fast to reproduce that here, so this guards the outcome rather than the interleaving).
   */
  @Test
  void submitsOnALeaderThatRemovesItselfAllSettle() throws Exception {
    RaftNode leader = startABC();
    submitSome(leader, 5);
    // the change is refused while a remaining voter has not been heard within an election timeout
    // (a loaded machine can hold a member's loop back that long): ask until it is taken
    CompletableFuture<Membership> change = leader.removeMember(leader.id());
    for (int tries = 0; tries < 50; tries++) {
      try {
        change.get(20, TimeUnit.MILLISECONDS);
        break; // committed already
      } catch (java.util.concurrent.TimeoutException taken) {
        break; // taken: committing
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof MembershipChangeRejectedException)) {
          throw e;
        }
        Thread.sleep(100);
        change = leader.removeMember(leader.id());
      }
    }
    List<CompletableFuture<LogPosition>> submitted = new ArrayList<>();
    for (int i = 0; i < 2000 && !change.isDone(); i++) {
      submitted.add(leader.submit(new byte[] {1}).toFuture());
      Thread.sleep(0, 200_000);
    }
    Membership after = change.get(20, TimeUnit.SECONDS);
    await("the removed leader steps down", () -> !leader.state().isLeader());
    submitSome(awaitLeader(after.voters()), 5);
    await("every submit on the removed leader settles", () -> submitted.stream().allMatch(CompletableFuture::isDone));
  }

  @Test
  void badRequestsFailWithAClearError() throws Exception {
    assertThatThrownBy(() -> RaftNode.builder().id("d").members(ABC).transport(net.transport("d"))
        .logStore(new MemoryLogStore()).start())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("joining(true)");
    RaftNode leader = startABC();
    RaftNode follower = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
    assertThatThrownBy(() -> follower.addLearner("d").get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(NotLeaderException.class);
    assertThatThrownBy(() -> leader.changeMembership(new Membership(Set.of("a"), Set.of("a", "b", "c"), Set.of()))
        .get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalArgumentException.class);
    // d and e never start: a change to voters {leader, d, e} would stall the group, so it is refused...
    Membership unreachable = Membership.ofVoters(Set.of(leader.id(), "d", "e"));
    assertThatThrownBy(() -> leader.changeMembership(unreachable).get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(MembershipChangeRejectedException.class).hasMessageContaining("not heard: [d, e]");
    assertThatThrownBy(() -> leader.removeMember("zz").get(5, TimeUnit.SECONDS))
        .as("removing a non-member").hasCauseInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("zz is not a member");
    // ...unless forced: then it cannot commit, and blocks the next one
    CompletableFuture<Membership> stuck = leader.changeMembership(unreachable, true);
    assertThatThrownBy(() -> leader.addLearner("f").get(5, TimeUnit.SECONDS))
        .hasCauseInstanceOf(MembershipChangeRejectedException.class).hasMessageContaining("under way");
    assertThatThrownBy(() -> leader.changeMembership(unreachable, true).get(5, TimeUnit.SECONDS))
        .as("asking again is not a second change").hasCauseInstanceOf(MembershipChangeRejectedException.class);
    assertThat(stuck).isNotDone();
    assertThat(leader.membership().isJoint()).as("membership %s, state %s, stuck %s", leader.membership(), leader.state(), stuck).isTrue();
  }
}

package dev.raftflow.engine.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The read lease: its length, what ends it, and a leader that was paused past it. */
class ReadLeaseTest {

  private static final long MS = 1_000_000;
  private final AtomicLong now = new AtomicLong(1_000 * MS);
  private final Membership abc = Membership.ofVoters(List.of("a", "b", "c"));

  /** Election timeout 1,000 ms, 10% drift: a lease of 900 ms from when the renewal was asked. */
  private ReadLease lease() {
    return new ReadLease(1_000 * MS, 10, now::get);
  }

  @Test
  void holdsFromWhenTheRenewalWasAskedForTheTimeoutLessTheDrift() {
    ReadLease l = lease();
    assertThat(l.holds(3, abc)).isFalse();
    assertThat(l.renewalDue()).isTrue();
    l.renewalAsked(1, 3, abc);
    assertThat(l.renewalDue()).as("one renewal at a time").isFalse();
    now.addAndGet(50 * MS); // the round trip
    l.confirmed(1);
    assertThat(l.holds(3, abc)).isTrue();
    now.addAndGet(849 * MS);
    assertThat(l.holds(3, abc)).as("899 ms after the renewal was asked").isTrue();
    now.addAndGet(1 * MS);
    assertThat(l.holds(3, abc)).as("900 ms after: expired").isFalse();
  }

  @Test
  void isRenewedOnlyPastHalfItsLength() {
    ReadLease l = lease();
    l.renewalAsked(1, 3, abc);
    l.confirmed(1);
    now.addAndGet(400 * MS);
    assertThat(l.renewalDue()).isFalse();
    now.addAndGet(51 * MS);
    assertThat(l.renewalDue()).isTrue();
  }

  @Test
  void anotherTermOrConfigurationOrAFailedRenewalEndsIt() {
    ReadLease l = lease();
    l.renewalAsked(1, 3, abc);
    l.confirmed(1);
    assertThat(l.holds(4, abc)).as("another term").isFalse();
    assertThat(l.holds(3, Membership.ofVoters(List.of("a", "b", "c", "d")))).as("another configuration").isFalse();
    l.renewalAsked(2, 3, abc);
    l.failed(2);
    assertThat(l.holds(3, abc)).as("a renewal failed: leadership lost").isFalse();
    l.renewalAsked(3, 4, abc);
    l.confirmed(3);
    assertThat(l.holds(3, abc)).isFalse();
    assertThat(l.holds(4, abc)).isTrue();
  }

  @Test
  void aTransferVoidsItForTwoElectionTimeoutsAndRenewalsAskedBeforeDoNotCount() {
    ReadLease l = lease();
    l.renewalAsked(1, 3, abc);
    l.confirmed(1);
    l.renewalAsked(2, 3, abc);
    l.transferStarted();
    assertThat(l.holds(3, abc)).isFalse();
    l.confirmed(2); // asked before the transfer
    assertThat(l.holds(3, abc)).isFalse();
    now.addAndGet(1_999 * MS);
    assertThat(l.renewalDue()).isFalse();
    now.addAndGet(1 * MS);
    assertThat(l.renewalDue()).isTrue();
    l.renewalAsked(3, 3, abc);
    l.confirmed(3);
    assertThat(l.holds(3, abc)).isTrue();
  }

  /**
   * A leader whose loop stood still (a GC pause, a stopped process) has not ticked, so it still
   * believes it leads; its clock moved on, so the lease has ended and reads take a round again.
   */
  @Test
  void aLeaderPausedPastItsLeaseReadsByARound() throws Exception {
    RaftOptions options = RaftOptions.builder().tickInterval(Duration.ofMillis(10)).heartbeatTicks(3)
        .electionTicks(30).leaseReads(true).build();
    AtomicLong offset = new AtomicLong();
    MemoryNetwork net = new MemoryNetwork();
    List<String> ids = List.of("a", "b", "c");
    List<RaftNode> nodes = ids.stream().map(id -> RaftNode.builder().id(id).members(ids).transport(net.transport(id))
        .logStore(new MemoryLogStore()).options(options).nanoClock(() -> System.nanoTime() + offset.get()).start())
        .toList();
    try {
      nodes.forEach(n -> n.applied().subscribe());
      RaftNode leader = awaitLeader(nodes);
      leader.submit(new byte[] {1}).block(Duration.ofSeconds(5));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (leader.metrics().readsByLease() == 0 && System.nanoTime() < deadline) {
        leader.readIndex().get(5, TimeUnit.SECONDS);
        Thread.sleep(20);
      }
      assertThat(leader.metrics().readsByLease()).as("reads under the lease").isPositive();
      long byLease = leader.metrics().readsByLease();
      long byRound = leader.metrics().readsConfirmed();

      offset.addAndGet(TimeUnit.SECONDS.toNanos(5)); // five seconds passed without a tick
      leader.readIndex().get(5, TimeUnit.SECONDS);
      assertThat(leader.metrics().readsByLease()).as("no read under an expired lease").isEqualTo(byLease);
      assertThat(leader.metrics().readsConfirmed()).as("the read took a round").isGreaterThan(byRound);
    } finally {
      nodes.forEach(RaftNode::close);
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
      Thread.sleep(10);
    }
    throw new AssertionError("no leader within 10 s");
  }
}

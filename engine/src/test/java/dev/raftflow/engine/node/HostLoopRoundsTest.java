package dev.raftflow.engine.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.memory.MemoryHostLogStore;
import dev.raftflow.engine.memory.MemoryHostNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A host loop drains its ready groups in rounds: many groups that become ready while the loop is
 * busy cost the loop one task, not one each.
 */
class HostLoopRoundsTest {

  private static final RaftOptions FAST = RaftOptions.builder().quiesce(true)
      .tickInterval(Duration.ofMillis(5)).heartbeatTicks(2).electionTicks(20).build();

  private final CountingScheduler scheduler = new CountingScheduler();
  private RaftHost host;

  @AfterEach
  void close() {
    if (host != null) {
      host.close();
    }
    scheduler.delegate.dispose();
  }

  @Test
  void groupsReadyWhileTheLoopIsBusyAreDrainedInOneTask() throws Exception {
    host = RaftHost.builder().transport(new MemoryHostNetwork().host("h1")).logStore(new MemoryHostLogStore())
        .options(FAST).loops(1).scheduler(scheduler).build();
    int groups = 32;
    List<RaftNode> nodes = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      nodes.add(host.startGroup("g" + g, List.of("h1")));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!nodes.stream().allMatch(n -> n.state().role() == Role.LEADER)) {
      assertThat(System.nanoTime()).as("every single-member group leads").isLessThan(deadline);
      Thread.sleep(5);
    }

    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    scheduler.delegate.schedule(() -> {
      busy.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();
    List<CompletableFuture<LogPosition>> proposed = new ArrayList<>();
    int before = scheduler.scheduledBy(Thread.currentThread());
    for (RaftNode n : nodes) {
      proposed.add(n.propose(new byte[] {1}));
    }
    int tasks = scheduler.scheduledBy(Thread.currentThread()) - before;
    release.countDown();

    assertThat(tasks).as("tasks the %d proposals put on the loop", groups).isEqualTo(1);
    for (CompletableFuture<LogPosition> f : proposed) {
      assertThat(f.get(10, TimeUnit.SECONDS).index()).isPositive();
    }
  }

  /**
   * Fairness: a flooded group's queue is bounded (proposals beyond are refused at once), and while
   * it works through what it holds, another group's proposal waits for one turn of it, not for all.
   */
  @Test
  void aFloodedGroupIsBoundedAndAnotherGroupWaitsOneTurnOfIt() throws Exception {
    host = RaftHost.builder().transport(new MemoryHostNetwork().host("h1")).logStore(new MemoryHostLogStore())
        .options(FAST).loops(1).scheduler(scheduler).build();
    RaftNode hot = host.startGroup("hot", List.of("h1"), RaftHost.groupOptions(FAST));
    RaftNode calm = host.startGroup("calm", List.of("h1"), RaftHost.groupOptions(FAST));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (hot.state().role() != Role.LEADER || calm.state().role() != Role.LEADER) {
      assertThat(System.nanoTime()).as("both lead").isLessThan(deadline);
      Thread.sleep(5);
    }
    long hotBefore = hot.state().lastIndex();
    CountDownLatch release = new CountDownLatch(1);
    scheduler.delegate.schedule(() -> {
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    int offered = RaftHost.GROUP_MAX_PENDING + 1000;
    List<CompletableFuture<LogPosition>> flood = new ArrayList<>();
    for (int i = 0; i < offered; i++) {
      flood.add(hot.propose(new byte[] {2}));
    }
    long[] hotAppendedWhenCalmWasTaken = new long[1];
    CompletableFuture<LogPosition> calmOne = calm.propose(new byte[] {3})
        .whenComplete((p, e) -> hotAppendedWhenCalmWasTaken[0] = hot.state().lastIndex() - hotBefore);
    release.countDown();

    assertThat(calmOne.get(10, TimeUnit.SECONDS).index()).isPositive();
    assertThat(hotAppendedWhenCalmWasTaken[0]).as("the hot group's entries appended before the calm one's turn")
        .isLessThanOrEqualTo(NodeLoop.HOST_EVENTS_PER_TURN);
    int refused = 0;
    for (CompletableFuture<LogPosition> f : flood) {
      try {
        f.get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(dev.raftflow.engine.OverloadedException.class);
        refused++;
      }
    }
    assertThat(refused).as("proposals beyond the group's queue").isGreaterThanOrEqualTo(offered - RaftHost.GROUP_MAX_PENDING);
  }

  /** A single-thread scheduler that counts the tasks each thread schedules on its workers. */
  private static final class CountingScheduler implements Scheduler {
    final Scheduler delegate = Schedulers.newSingle("host-loop-rounds-test", true);
    private final java.util.Map<Thread, AtomicInteger> byThread = new java.util.concurrent.ConcurrentHashMap<>();

    int scheduledBy(Thread t) {
      AtomicInteger n = byThread.get(t);
      return n == null ? 0 : n.get();
    }

    private void count() {
      byThread.computeIfAbsent(Thread.currentThread(), t -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public Disposable schedule(Runnable task) {
      count();
      return delegate.schedule(task);
    }

    @Override
    public Worker createWorker() {
      Worker w = delegate.createWorker();
      return new Worker() {
        @Override
        public Disposable schedule(Runnable task) {
          count();
          return w.schedule(task);
        }

        @Override
        public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
          count();
          return w.schedule(task, delay, unit);
        }

        @Override
        public void dispose() {
          w.dispose();
        }

        @Override
        public boolean isDisposed() {
          return w.isDisposed();
        }
      };
    }
  }
}

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

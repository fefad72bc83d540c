package dev.raftflow.metrics;

import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import dev.raftflow.engine.node.RaftNode;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test: a load harness for the A/B measurement in docs/metrics.md ("Cost"). Runs three
 * in-memory members under a closed loop of 64 outstanding 100-byte proposals and prints the commits
 * per second applied on the leader; with {@code bound}, every member's {@link RaftNodeMeters} are bound to a
 * registry read in full (every meter measured) every 100 ms, 150 times Prometheus' default rate.
 *
 * <p>{@code java -cp ... dev.raftflow.metrics.BindingOverhead plain|bound SECONDS}
 */
public final class BindingOverhead {

  private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

  private BindingOverhead() {}

  public static void main(String[] args) throws Exception {
    boolean bound = args[0].equals("bound");
    int seconds = Integer.parseInt(args[1]);
    MemoryNetwork net = new MemoryNetwork();
    List<String> ids = List.of("a", "b", "c");
    List<RaftNode> nodes = ids.stream().map(id -> RaftNode.builder().id(id).members(ids).transport(net.transport(id))
        .logStore(new MemoryLogStore()).start()).toList();
    nodes.forEach(n -> n.applied().subscribe());
    ScheduledExecutorService scraper = Executors.newSingleThreadScheduledExecutor();
    AtomicLong sink = new AtomicLong();
    AtomicLong scrapes = new AtomicLong();
    AtomicLong scrapeNanos = new AtomicLong();
    if (bound) {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      List<RaftNodeMeters> meters = nodes.stream().map(RaftNodeMeters::new).toList();
      meters.forEach(m -> m.bindTo(registry));
      scraper.scheduleAtFixedRate(() -> {
        long start = THREADS.getCurrentThreadCpuTime();
        meters.forEach(RaftNodeMeters::refreshFollowers);
        double sum = 0;
        for (Meter m : registry.getMeters()) {
          for (Measurement x : m.measure()) {
            sum += x.getValue();
          }
        }
        sink.addAndGet((long) sum);
        scrapeNanos.addAndGet(THREADS.getCurrentThreadCpuTime() - start);
        scrapes.incrementAndGet();
      }, 100, 100, TimeUnit.MILLISECONDS);
    }
    RaftNode leader = null;
    while (leader == null) {
      Thread.sleep(10);
      leader = nodes.stream().filter(n -> n.state().isLeader()).findFirst().orElse(null);
    }
    RaftNode l = leader;
    AtomicLong committed = new AtomicLong();
    byte[] command = new byte[100];
    Runnable[] loop = new Runnable[1];
    ScheduledExecutorService retry = Executors.newSingleThreadScheduledExecutor();
    loop[0] = () -> l.submit(command).subscribe(pos -> {
      committed.incrementAndGet();
      loop[0].run();
    }, err -> retry.schedule(loop[0], 1, TimeUnit.MILLISECONDS)); // refused (e.g. overloaded): try again soon
    for (int i = 0; i < 64; i++) {
      loop[0].run();
    }
    Thread.sleep(3000); // warm-up
    long c0 = committed.get();
    scrapes.set(0); // scrape cost measured after the warm-up only
    scrapeNanos.set(0);
    long t0 = System.nanoTime();
    Thread.sleep(seconds * 1000L);
    long c1 = committed.get();
    long t1 = System.nanoTime();
    System.out.printf("RESULT mode=%s commits_per_s=%.0f scrapes=%d mean_scrape_cpu_us=%.1f%n", args[0],
        (c1 - c0) / ((t1 - t0) / 1e9), scrapes.get(), scrapes.get() == 0 ? 0 : scrapeNanos.get() / 1e3 / scrapes.get());
    scraper.shutdownNow();
    nodes.forEach(RaftNode::close);
    System.exit(0);
  }
}

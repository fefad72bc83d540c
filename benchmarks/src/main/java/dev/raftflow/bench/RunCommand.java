package dev.raftflow.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.NodeState;
import dev.raftflow.engine.RaftNode;
import dev.raftflow.engine.RaftOptions;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code run}: an embedded cluster in this process under a closed-loop load of fixed-size commands
 * (N outstanding proposals), with a progress line every second and a summary, ending with one
 * machine-readable {@code RESULT} line in the format of the peer harness.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Start an embedded cluster and drive a closed-loop load through it.")
final class RunCommand implements Callable<Integer> {

  @Option(names = "--nodes", defaultValue = "3", description = "Members of the group (default ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--size", defaultValue = "64", description = "Command payload in bytes (default ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--concurrency", defaultValue = "64",
      description = "Outstanding proposals; 1 = a synchronous client (default ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--warmup", defaultValue = "3", description = "Warm-up seconds, not measured (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds (default ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--transport", defaultValue = "memory", description = "memory (default ${DEFAULT-VALUE}).")
  String transport;

  @Option(names = "--storage", defaultValue = "memory", description = "memory (default ${DEFAULT-VALUE}).")
  String storage;

  private final Recorder recorder = new Recorder(3);
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private volatile boolean measuring;
  private volatile boolean stopping;

  @Override
  public Integer call() throws Exception {
    if (!transport.equals("memory") || !storage.equals("memory")) {
      System.err.println("only --transport memory and --storage memory are available in this build");
      return 2;
    }
    if (nodes < 1 || size < 0 || concurrency < 1 || seconds < 1 || warmup < 0) {
      System.err.println("--nodes, --concurrency and --seconds must be positive; --size and --warmup not negative");
      return 2;
    }
    RaftOptions options = RaftOptions.builder().build();
    System.out.printf("raftflow run: %d nodes, %s transport, %s storage, %d B commands, %d outstanding, %d s warm-up + %d s%n",
        nodes, transport, storage, size, concurrency, warmup, seconds);
    try (LocalCluster cluster = new LocalCluster(nodes, options)) {
      RaftNode first = cluster.awaitLeader(Duration.ofSeconds(10));
      System.out.printf("leader %s elected in term %d%n", first.id(), first.state().term());
      Semaphore window = new Semaphore(concurrency);
      byte[] payload = new byte[size];
      Thread client = new Thread(() -> drive(cluster, window, payload), "raftflow-client");
      client.setDaemon(true);
      client.start();

      Thread.sleep(warmup * 1000L);
      recorder.getIntervalHistogram(); // discard warm-up latencies
      Histogram total = new Histogram(3);
      OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long cpuStart = os.getProcessCpuTime();
      long gcStart = gcMillis();
      long ackStart = acked.get();
      long startNs = System.nanoTime();
      measuring = true;
      long lastAck = ackStart;
      for (int s = 1; s <= seconds; s++) {
        Thread.sleep(1000);
        Histogram interval = recorder.getIntervalHistogram();
        total.add(interval);
        long now = acked.get();
        RaftNode leader = cluster.leader();
        NodeState st = leader == null ? null : leader.state();
        System.out.printf("[%3ds] %,9d ops/s  p50 %8.1f us  p99 %8.1f us  leader %s  term %d  commit %d%n",
            s, now - lastAck, interval.getValueAtPercentile(50) / 1000.0, interval.getValueAtPercentile(99) / 1000.0,
            leader == null ? "-" : leader.id(), st == null ? 0 : st.term(), st == null ? 0 : st.commitIndex());
        lastAck = now;
      }
      measuring = false;
      double elapsed = (System.nanoTime() - startNs) / 1e9;
      long ops = acked.get() - ackStart;
      double cpuCores = (os.getProcessCpuTime() - cpuStart) / 1e9 / elapsed;
      long gc = gcMillis() - gcStart;
      stopping = true;
      client.join(5000);
      double opsPerSec = ops / elapsed;
      System.out.printf("%nsummary: %,d commands committed and applied in %.2f s = %,.0f ops/s (%.2f MB/s)%n",
          ops, elapsed, opsPerSec, opsPerSec * size / 1e6);
      System.out.printf("latency us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f%n",
          us(total, 50), us(total, 90), us(total, 99), us(total, 99.9), total.getMaxValue() / 1000.0);
      System.out.printf("applied per node: min %,d max %,d; errors %d; CPU %.2f cores (%.1f us/op); GC %d ms%n",
          cluster.minApplied(), cluster.maxApplied(), errors.get(), cpuCores, cpuCores * 1e6 / opsPerSec, gc);
      System.out.printf("RESULT peer=raftflow version=0.1.0-SNAPSHOT settings=default size=%d conc=%d mode=%s client=embedded "
              + "seconds=%.2f ops_per_s=%.0f p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f errors=%d "
              + "proc_cpu_cores=%.2f cpu_us_per_op=%.1f gc_ms=%d fsync=%s transport=%s storage=%s%n",
          size, concurrency, concurrency == 1 ? "sync" : "async", elapsed, opsPerSec, us(total, 50), us(total, 90),
          us(total, 99), us(total, 99.9), total.getMaxValue() / 1000.0, errors.get(), cpuCores,
          cpuCores * 1e6 / Math.max(opsPerSec, 1), gc, storage.equals("memory") ? "off" : "on", transport, storage);
      return ops > 0 ? 0 : 1;
    }
  }

  /** Keeps {@code concurrency} proposals outstanding against whoever leads. */
  private void drive(LocalCluster cluster, Semaphore window, byte[] payload) {
    while (!stopping) {
      try {
        window.acquire();
      } catch (InterruptedException e) {
        return;
      }
      RaftNode leader = cluster.leader();
      if (leader == null) {
        window.release();
        Thread.onSpinWait();
        continue;
      }
      long start = System.nanoTime();
      leader.submit(payload).subscribe(
          (LogPosition p) -> {
            recorder.recordValue(Math.max(1, System.nanoTime() - start));
            acked.incrementAndGet();
            window.release();
          },
          err -> {
            if (measuring) {
              errors.incrementAndGet();
            }
            window.release();
          });
    }
  }

  private static double us(Histogram h, double percentile) {
    return h.getValueAtPercentile(percentile) / 1000.0;
  }

  private static long gcMillis() {
    long t = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      t += Math.max(0, gc.getCollectionTime());
    }
    return t;
  }
}

package dev.raftflow.bench.jmh;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.RaftNode;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.memory.MemoryNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Propose → commit → apply on a 3-node group in one JVM: {@code latency} is one synchronous client
 * (sample time), {@code throughput} keeps 64 proposals outstanding.
 */
@State(Scope.Benchmark)
public class ProposeCommitBenchmark {

  @Param({"memory"})
  public String transport;

  @Param({"memory"})
  public String storage;

  @Param({"64", "1024"})
  public int size;

  private final List<RaftNode> nodes = new ArrayList<>();
  private Scheduler loops;
  private RaftNode leader;
  private byte[] payload;

  @Setup(Level.Trial)
  public void start() throws InterruptedException {
    MemoryNetwork network = new MemoryNetwork();
    loops = Schedulers.newParallel("bench-loop", 2);
    List<String> ids = List.of("n1", "n2", "n3");
    for (String id : ids) {
      RaftNode n = RaftNode.builder().id(id).members(ids).transport(network.transport(id))
          .logStore(new MemoryLogStore()).options(RaftOptions.defaults()).scheduler(loops).start();
      n.applied().subscribe(ev -> {
        if (ev instanceof ApplyEvent.Entry e && e.index() % 50_000 == 0) {
          n.snapshot(e.index(), new byte[8]);
        }
      });
      nodes.add(n);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (leader == null) {
      for (RaftNode n : nodes) {
        if (n.state().isLeader()) {
          leader = n;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no leader");
      }
      Thread.sleep(5);
    }
    payload = new byte[size];
  }

  @TearDown(Level.Trial)
  public void stop() {
    nodes.forEach(RaftNode::close);
    nodes.forEach(n -> n.onClose().block(Duration.ofSeconds(5)));
    loops.dispose();
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public LogPosition latency() {
    return leader.submit(payload).block();
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(64)
  public Long throughput() {
    return Flux.range(0, 64).flatMap(i -> leader.submit(payload), 64).count().block();
  }

}

package dev.raftflow.bench.jmh;

import dev.raftflow.bench.LocalCluster;
import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.node.RaftNode;
import java.time.Duration;
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

/**
 * Propose → commit → apply on a 3-node group in one JVM (the {@code run} command's cluster: RSocket
 * or in-memory transport, Chronicle with fsync or in-memory storage): {@code latency} is one
 * synchronous client (sample time), {@code throughput} keeps 64 proposals outstanding.
 */
@State(Scope.Benchmark)
public class ProposeCommitBenchmark {

  @Param({"memory", "rsocket"})
  public String transport;

  @Param({"memory", "chronicle"})
  public String storage;

  @Param({"64", "1024"})
  public int size;

  private LocalCluster cluster;
  private RaftNode leader;
  private byte[] payload;

  @Setup(Level.Trial)
  public void start() throws Exception {
    cluster = LocalCluster.create(3, transport, storage, "fsync");
    leader = cluster.awaitLeader(Duration.ofSeconds(10));
    payload = new byte[size];
  }

  @TearDown(Level.Trial)
  public void stop() {
    cluster.close();
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

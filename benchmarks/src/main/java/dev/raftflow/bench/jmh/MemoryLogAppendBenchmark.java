package dev.raftflow.bench.jmh;

import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Appends batches to the in-memory log store (the baseline for durable stores). */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MemoryLogAppendBenchmark {

  @Param({"1", "16", "256"})
  public int batch;

  @Param({"64", "1024"})
  public int size;

  private MemoryLogStore store;
  private long next;
  private byte[] payload;

  @Setup
  public void setUp() {
    store = new MemoryLogStore();
    next = 1;
    payload = new byte[size];
  }

  @Benchmark
  public long append() {
    List<LogEntry> entries = new ArrayList<>(batch);
    for (int i = 0; i < batch; i++) {
      entries.add(LogEntry.command(next++, 1, payload));
    }
    store.write(new LogWrite(null, null, entries, next - 1, 1));
    if (next % 100_000 < batch) {
      store.write(new LogWrite(null, new Snapshot(next - 1, 1, new byte[0]), List.of(), next - 1, 1));
    }
    return next;
  }
}

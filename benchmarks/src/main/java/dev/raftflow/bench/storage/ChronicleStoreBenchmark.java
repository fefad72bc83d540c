package dev.raftflow.bench.storage;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.storage.chronicle.ChronicleLogStore;
import dev.raftflow.storage.chronicle.Durability;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Storage benchmarks for {@link ChronicleLogStore}: append throughput of batches (one op = one
 * batch written and durable per the mode; entries/s = ops/s x batch, MB/s = entries/s x size),
 * next to a plain {@link FileChannel} append + {@code force()} of the same bytes; and read-by-index
 * latency. Needs Chronicle's JVM flags (jmh.sh passes them to the forks).
 */
public class ChronicleStoreBenchmark {

  /** A store (or a raw file) in a fresh temp directory, appending batches of {@code batch} entries of {@code size} bytes. */
  @State(Scope.Thread)
  public static class Append {
    @Param({"64", "1024"})
    public int size;

    @Param({"1", "16", "256"})
    public int batch;

    @Param({"FSYNC", "OS_CACHE"})
    public Durability durability;

    Path dir;
    ChronicleLogStore store;
    FileChannel raw;
    ByteBuffer rawBatch;
    byte[] data;
    long next = 1;

    @Setup(Level.Trial)
    public void setup() throws IOException {
      dir = Files.createTempDirectory("raftflow-bench");
      store = ChronicleLogStore.open(dir.resolve("store"),
          ChronicleLogStore.Options.defaults().withDurability(durability));
      store.load();
      raw = FileChannel.open(dir.resolve("raw.log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND);
      data = new byte[size];
      ThreadLocalRandom.current().nextBytes(data);
      // the same framing overhead the store writes per entry (header, index, term, type, length, crc)
      rawBatch = ByteBuffer.allocate(batch * (size + 30));
      while (rawBatch.hasRemaining()) {
        rawBatch.put((byte) 7);
      }
    }

    List<LogEntry> nextBatch() {
      List<LogEntry> es = new ArrayList<>(batch);
      for (int k = 0; k < batch; k++) {
        es.add(LogEntry.command(next++, 1, data));
      }
      return es;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      store.close();
      raw.close();
      deleteTree(dir);
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @Warmup(iterations = 2, time = 2)
  @Measurement(iterations = 3, time = 3)
  @Fork(1)
  public void appendBatch(Append s) {
    List<LogEntry> es = s.nextBatch();
    s.store.write(new LogWrite(null, null, es, s.next - 1, 1)).join();
  }

  /** The baseline: the same bytes appended with a FileChannel, forced (FSYNC) or not (OS_CACHE). */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @Warmup(iterations = 2, time = 2)
  @Measurement(iterations = 3, time = 3)
  @Fork(1)
  public void fileChannelBaseline(Append s) throws IOException {
    s.rawBatch.clear();
    while (s.rawBatch.hasRemaining()) {
      s.raw.write(s.rawBatch);
    }
    if (s.durability == Durability.FSYNC) {
      s.raw.force(false);
    }
  }

  /** A store holding {@code entries} entries of 256 bytes; random reads by index. */
  @State(Scope.Thread)
  public static class Filled {
    @Param({"100000"})
    public int entries;

    Path dir;
    ChronicleLogStore store;

    @Setup(Level.Trial)
    public void setup() throws IOException {
      dir = Files.createTempDirectory("raftflow-bench-read");
      store = ChronicleLogStore.open(dir, ChronicleLogStore.Options.defaults().withDurability(Durability.OS_CACHE));
      store.load();
      byte[] data = new byte[256];
      long i = 1;
      while (i <= entries) {
        List<LogEntry> es = new ArrayList<>();
        for (int k = 0; k < 1000 && i <= entries; k++, i++) {
          es.add(LogEntry.command(i, 1, data));
        }
        store.write(new LogWrite(null, null, es, i - 1, 1)).join();
      }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      store.close();
      deleteTree(dir);
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  @Warmup(iterations = 2, time = 2)
  @Measurement(iterations = 3, time = 3)
  @Fork(1)
  public LogEntry readByIndex(Filled s) {
    return s.store.read(1 + ThreadLocalRandom.current().nextInt(s.entries));
  }

  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> w = Files.walk(dir)) {
      for (Path p : w.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}

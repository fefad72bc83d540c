package dev.raftflow.bench.jmh;

import dev.raftflow.engine.codec.MessageCodec;
import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
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

/** Encode and decode of an AppendEntries carrying {@code entries} entries of {@code size} bytes. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CodecBenchmark {

  @Param({"1", "16", "256"})
  public int entries;

  @Param({"64", "1024"})
  public int size;

  private AppendEntries message;
  private byte[] encoded;

  @Setup
  public void setUp() {
    List<LogEntry> list = new ArrayList<>();
    for (int i = 0; i < entries; i++) {
      list.add(LogEntry.command(1000 + i, 7, new byte[size]));
    }
    message = new AppendEntries(7, "n1", "n2", 999, 7, list, 990);
    encoded = MessageCodec.encode(message);
  }

  @Benchmark
  public byte[] encode() {
    return MessageCodec.encode(message);
  }

  @Benchmark
  public Message decode() {
    return MessageCodec.decode(encoded);
  }
}

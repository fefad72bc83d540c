package dev.raftflow.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.storage.chronicle.ChronicleLogStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code disk}: the durability floor of this machine. Each of W writers (one per member of a
 * cluster sharing the disk) appends one small entry and waits until it is durable, again and
 * again: once through a Chronicle log store (what a member does), once through a plain
 * {@code FileChannel} write and {@code force} (the cheapest durable append Java offers). The
 * latency of one sync bounds what any fsync-per-commit engine can reach here: a synchronous
 * client waits at least one follower sync plus a round trip, and N outstanding proposals commit
 * at most N per sync time (Little's law).
 */
@Command(name = "disk", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
    description = {"Latency and CPU cost of one durable append on this disk.",
        "The floor under commit latency: a Chronicle log store and a plain file, each synced per append."},
    exitCodeListHeading = ExitCodes.HEADING,
    exitCodeList = {ExitCodes.OK_TEXT, ExitCodes.FAILED_TEXT, ExitCodes.USAGE_TEXT})
final class DiskCommand implements Callable<Integer> {

  @Mixin VerboseOption verbose;

  @Spec
  CommandSpec spec;

  @Option(names = "--dir", description = "Where to write (default: a temp dir; put it on the disk the logs use).")
  Path dir;

  @Option(names = "--writers", split = ",", defaultValue = "1,3",
      description = "Concurrent writers, one run per value (default ${DEFAULT-VALUE}).")
  int[] writers;

  @Option(names = "--seconds", defaultValue = "5", description = "Measured seconds per run (default ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--size", defaultValue = "64", description = "Entry payload in bytes (default ${DEFAULT-VALUE}).")
  int size;

  /** Largest append: a small entry is what the floor is about; 64 KiB already measures bandwidth more than sync. */
  static final int MAX_SIZE = 1 << 16;

  private static final OperatingSystemMXBean OS = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  @Override
  public Integer call() throws Exception {
    FlagCheck check = new FlagCheck(spec)
        .range("--seconds", seconds, 1, 3600, "seconds per run")
        .range("--size", size, 1, MAX_SIZE, "bytes per append")
        .require(writers.length > 0, "--writers needs at least one value")
        .require(dir == null || !Files.exists(dir) || Files.isDirectory(dir), "--dir " + dir + " exists and is not a directory");
    for (int w : writers) {
      check.range("--writers", w, 1, 64, "concurrent writers");
    }
    PrintWriter out = spec.commandLine().getOut();
    boolean temp = dir == null;
    Path root = temp ? Files.createTempDirectory("raftflow-disk") : Files.createDirectories(dir);
    try {
      out.printf("raftflow disk: %d-byte durable appends in %s, %d s per run (after 1 s warm-up)%n", size, root, seconds);
      out.println("path       writers  syncs/s   p50_us   p99_us  cpu_us_per_sync");
      int run = 0;
      for (int w : writers) {
        for (String path : List.of("chronicle", "file")) {
          Path d = Files.createDirectories(root.resolve("run" + run++));
          Result r = measure(path, w, d);
          out.printf("%-10s %7d %8.0f %8.1f %8.1f %16.1f%n", path, w, r.syncsPerSecond, r.p50, r.p99, r.cpuPerSync);
          out.printf("RESULT disk path=%s writers=%d size=%d syncs_per_s=%.0f p50_us=%.1f p99_us=%.1f cpu_us_per_sync=%.1f%n",
              path, w, size, r.syncsPerSecond, r.p50, r.p99, r.cpuPerSync);
          deleteTree(d);
        }
      }
      return 0;
    } finally {
      if (temp) {
        deleteTree(root);
      }
    }
  }

  private record Result(double syncsPerSecond, double p50, double p99, double cpuPerSync) {}

  /** W threads append and sync for 1 s of warm-up, then {@code seconds} measured. */
  private Result measure(String path, int w, Path d) throws Exception {
    List<Writer> ws = new ArrayList<>();
    for (int k = 0; k < w; k++) {
      ws.add(path.equals("chronicle") ? new StoreWriter(d.resolve("w" + k), size) : new FileWriter(d.resolve("w" + k), size));
    }
    Histogram h = new Histogram(3);
    long[] counts = new long[w];
    Throwable[] errors = new Throwable[w];
    long warmEnd = System.nanoTime() + 1_000_000_000L;
    long end = warmEnd + seconds * 1_000_000_000L;
    CountDownLatch warm = new CountDownLatch(w);
    CountDownLatch done = new CountDownLatch(w);
    long[] cpuStart = new long[1];
    List<Thread> threads = new ArrayList<>();
    for (int k = 0; k < w; k++) {
      int id = k;
      Thread t = new Thread(() -> {
        Histogram mine = new Histogram(3);
        try {
          Writer wr = ws.get(id);
          while (System.nanoTime() < warmEnd) {
            wr.appendDurably();
          }
          warm.countDown();
          long n = 0;
          long now;
          while ((now = System.nanoTime()) < end) {
            wr.appendDurably();
            mine.recordValue(Math.max(1, (System.nanoTime() - now) / 1000));
            n++;
          }
          counts[id] = n;
        } catch (Throwable e) {
          errors[id] = e;
          warm.countDown();
        } finally {
          synchronized (h) {
            h.add(mine);
          }
          done.countDown();
        }
      }, "raftflow-disk-" + k);
      threads.add(t);
      t.start();
    }
    warm.await();
    cpuStart[0] = OS.getProcessCpuTime();
    long t0 = System.nanoTime();
    done.await();
    double secs = (System.nanoTime() - t0) / 1e9;
    long cpu = OS.getProcessCpuTime() - cpuStart[0];
    for (Writer wr : ws) {
      wr.close();
    }
    for (Throwable e : errors) {
      if (e != null) {
        throw new IOException("a writer failed", e);
      }
    }
    long total = java.util.Arrays.stream(counts).sum();
    return new Result(total / secs, h.getValueAtPercentile(50), h.getValueAtPercentile(99), total == 0 ? 0 : cpu / 1e3 / total);
  }

  private interface Writer extends AutoCloseable {
    void appendDurably() throws Exception;

    @Override
    void close() throws IOException;
  }

  /** A member's path: one entry per write, FSYNC durability (the default), wait for the future. */
  private static final class StoreWriter implements Writer {
    private final ChronicleLogStore store;
    private final byte[] payload;
    private long index;

    StoreWriter(Path d, int size) throws IOException {
      store = ChronicleLogStore.open(d);
      store.load();
      payload = new byte[size];
    }

    @Override
    public void appendDurably() {
      index++;
      store.write(new LogWrite(null, null, List.of(LogEntry.command(index, 1, payload)), index, 1)).join();
    }

    @Override
    public void close() {
      store.close();
    }
  }

  /** The cheapest durable append: positional write into a zero-filled file, then fdatasync. */
  private static final class FileWriter implements Writer {
    private final FileChannel ch;
    private final ByteBuffer buf;
    private final ByteBuffer zeros = ByteBuffer.allocate(64 << 10);
    private long pos;
    private long filled;

    FileWriter(Path f, int size) throws IOException {
      ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
      buf = ByteBuffer.allocate(size);
    }

    @Override
    public void appendDurably() throws IOException {
      if (pos + buf.capacity() > filled) { // real blocks ahead, as the log store keeps them
        zeros.clear();
        filled += ch.write(zeros, filled);
        ch.force(false);
      }
      buf.clear();
      while (buf.hasRemaining()) {
        pos += ch.write(buf, pos);
      }
      ch.force(false);
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var s = Files.walk(p)) {
      for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(x);
      }
    }
  }
}

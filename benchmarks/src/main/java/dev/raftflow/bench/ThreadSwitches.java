package dev.raftflow.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Context switches of this process's threads between two points, by kind of thread, read from
 * Linux's {@code /proc/self/task}: a voluntary switch is a thread that blocked (parked, waited on a
 * socket or a sync), so per command it counts the hand-offs and waits the commit path costs;
 * an involuntary one is a thread preempted for another (more runnable threads than cores).
 *
 * <p>Threads that end between the two snapshots are not counted, threads that start are counted
 * from zero. Elsewhere than Linux {@link #take()} returns null. Not thread-safe.
 */
final class ThreadSwitches {

  /** Kinds in the order they are reported; a thread's kind comes from its name (Linux keeps 15 chars). */
  static final List<String> KINDS = List.of("loops", "log writers", "netty", "load driver", "jvm", "other");

  private final Map<String, long[]> byThread;

  private ThreadSwitches(Map<String, long[]> byThread) {
    this.byThread = byThread;
  }

  /** The switches of every live thread now, or null when {@code /proc/self/task} cannot be read. */
  static ThreadSwitches take() {
    return take(Path.of("/proc/self/task"));
  }

  static ThreadSwitches take(Path tasks) {
    Map<String, long[]> now = new LinkedHashMap<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tasks)) {
      for (Path task : dirs) {
        try {
          String name = Files.readString(task.resolve("comm")).strip();
          long voluntary = -1;
          long involuntary = -1;
          for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
              voluntary = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
              involuntary = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            }
          }
          if (voluntary >= 0 && involuntary >= 0) {
            now.put(task.getFileName() + "/" + name, new long[] {voluntary, involuntary});
          }
        } catch (IOException | RuntimeException gone) {
          // the thread ended while being read, or its status has no such lines: not counted
        }
      }
    } catch (IOException | RuntimeException notLinux) {
      return null;
    }
    return now.isEmpty() ? null : new ThreadSwitches(now);
  }

  /** Which kind a thread of this (possibly truncated) name is. */
  static String kindOf(String name) {
    if (name.startsWith("raftflow-client")) {
      return "load driver";
    }
    if (name.startsWith("raftflow-chroni")) {
      return "log writers";
    }
    if (name.startsWith("raftflow-")) {
      return "loops";
    }
    if (name.startsWith("reactor-tcp") || name.startsWith("reactor-http") || name.startsWith("rsocket")) {
      return "netty";
    }
    if (name.startsWith("C1 ") || name.startsWith("C2 ") || name.startsWith("G1 ") || name.startsWith("GC ")
        || name.startsWith("VM ")) {
      return "jvm"; // compilers, collectors, the VM thread
    }
    return "other";
  }

  /**
   * Switches since {@code before}, by kind (in {@link #KINDS} order): each value holds
   * {voluntary, involuntary}.
   */
  Map<String, long[]> since(ThreadSwitches before) {
    Map<String, long[]> sums = new LinkedHashMap<>();
    for (String k : KINDS) {
      sums.put(k, new long[2]);
    }
    for (Map.Entry<String, long[]> e : byThread.entrySet()) {
      long[] was = before.byThread.getOrDefault(e.getKey(), new long[2]);
      String name = e.getKey().substring(e.getKey().indexOf('/') + 1);
      long[] sum = sums.get(kindOf(name));
      sum[0] += e.getValue()[0] - was[0];
      sum[1] += e.getValue()[1] - was[1];
    }
    return sums;
  }

  /** One line: voluntary (blocking) then involuntary (preempted) switches per command, each in total and by kind. */
  static String describePerOp(Map<String, long[]> sums, long ops) {
    return perOp(sums, ops, 0, "blocking") + ", " + perOp(sums, ops, 1, "preempted");
  }

  /** The switches of every kind together: {@code which} 0 for voluntary (blocking), 1 for involuntary. */
  static long total(Map<String, long[]> sums, int which) {
    return sums.values().stream().mapToLong(v -> v[which]).sum();
  }

  private static String perOp(Map<String, long[]> sums, long ops, int which, String what) {
    long total = total(sums, which);
    String kinds = sums.entrySet().stream()
        .map(e -> String.format(java.util.Locale.ROOT, "%s %.2f", e.getKey(), e.getValue()[which] / (double) ops))
        .collect(Collectors.joining(", "));
    return String.format(java.util.Locale.ROOT, "%.2f %s (%s)", total / (double) ops, what, kinds);
  }
}

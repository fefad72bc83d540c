package dev.raftflow.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Failed proposals counted by exception type, with the first message seen of each type: the reason
 * behind an error count. Thread-safe; {@link #snapshot()} freezes the counts so that every line
 * reporting them shows the same numbers.
 */
final class ProposalErrors {

  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
  private final Map<String, String> firstMessage = new ConcurrentHashMap<>();

  /** Counts one failure, under the type of the exception a wrapper (completion, execution) carries. */
  void record(Throwable error) {
    Throwable e = error;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    String type = e.getClass().getSimpleName();
    counts.computeIfAbsent(type, t -> new AtomicLong()).incrementAndGet();
    firstMessage.putIfAbsent(type, e.getMessage() == null ? "" : e.getMessage());
  }

  long total() {
    return counts.values().stream().mapToLong(AtomicLong::get).sum();
  }

  Snapshot snapshot() {
    Map<String, Long> c = new TreeMap<>();
    counts.forEach((type, n) -> c.put(type, n.get()));
    return new Snapshot(c, Map.copyOf(firstMessage));
  }

  /** The counts at one moment. */
  record Snapshot(Map<String, Long> byType, Map<String, String> firstMessage) {

    long total() {
      return byType.values().stream().mapToLong(Long::longValue).sum();
    }

    /** E.g. {@code 3 (3 IllegalArgumentException: command of 2000000 bytes ...)}, or {@code 0}. */
    String describe() {
      if (byType.isEmpty()) {
        return "0";
      }
      StringBuilder s = new StringBuilder().append(total()).append(" (");
      String sep = "";
      for (Map.Entry<String, Long> e : byType.entrySet()) {
        String msg = firstMessage.getOrDefault(e.getKey(), "");
        s.append(sep).append(e.getValue()).append(' ').append(e.getKey()).append(msg.isEmpty() ? "" : ": " + msg);
        sep = "; ";
      }
      return s.append(')').toString();
    }
  }
}

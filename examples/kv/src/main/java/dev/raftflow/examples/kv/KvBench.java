package dev.raftflow.examples.kv;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A closed-loop load on a running KV cluster, for {@code kv bench}: puts every key of a key set
 * once, then {@code concurrency} workers each keep one call in flight (a get of a random key of the
 * set in the read modes, a put of one in {@link KvBenchMode#WRITE}), first for the warm-up, then for
 * the measured time. It counts the calls that completed inside the measured window, their latency
 * (p50, p99) and the ones that failed (after the client's own retries, i.e. a call timeout or a
 * refusal). Calls start no later than the window's end; those still in flight then are not counted.
 * {@link #run} blocks; the instance holds no state between runs.
 */
final class KvBench {

  /** Most concurrent puts while preloading. */
  private static final int PRELOAD_CONCURRENCY = 64;

  /**
   * What to run.
   *
   * @param concurrency workers, each with one call in flight (1..4096)
   * @param keys size of the key set (1..1,000,000)
   * @param valueBytes bytes of each value (0..65536)
   * @param warmup run before measuring (0 or more)
   * @param measured the measured window (positive)
   */
  record Settings(KvBenchMode mode, int concurrency, int keys, int valueBytes, Duration warmup, Duration measured) {
    Settings {
      if (mode == null) {
        throw new IllegalArgumentException("--mode is required");
      }
      if (concurrency < 1 || concurrency > 4096) {
        throw new IllegalArgumentException("--concurrency must be 1..4096, was " + concurrency);
      }
      if (keys < 1 || keys > 1_000_000) {
        throw new IllegalArgumentException("--keys must be 1..1000000, was " + keys);
      }
      if (valueBytes < 0 || valueBytes > 65536) {
        throw new IllegalArgumentException("--value-bytes must be 0..65536, was " + valueBytes);
      }
      if (warmup == null || warmup.isNegative()) {
        throw new IllegalArgumentException("--warmup-s must be 0 or more, was " + warmup);
      }
      if (measured == null || measured.isNegative() || measured.isZero()) {
        throw new IllegalArgumentException("--seconds must be positive, was " + measured);
      }
    }
  }

  /** What a run measured: calls completed in the window, over its length, their latency, and failures. */
  record Result(Settings settings, int members, long ops, double seconds, double p50Millis, double p99Millis,
      long errors) {

    double opsPerSecond() {
      return ops / seconds;
    }

    /** One line for scripts: {@code RESULT key=value ...}. */
    String line() {
      return String.format(Locale.ROOT, "RESULT mode=%s concurrency=%d members=%d keys=%d ops=%d seconds=%.2f "
              + "ops_per_s=%.1f p50_ms=%.3f p99_ms=%.3f errors=%d", settings.mode().label(), settings.concurrency(),
          members, settings.keys(), ops, seconds, opsPerSecond(), p50Millis, p99Millis, errors);
    }
  }

  private KvBench() {}

  /** The key of index {@code i} in the key set. */
  static String key(int i) {
    return String.format(Locale.ROOT, "bench-%07d", i);
  }

  /**
   * Preloads the key set, then runs the load and returns what it measured; progress lines go to
   * {@code out}.
   *
   * @throws IllegalStateException when the preload fails (no leader, a member refused)
   */
  static Result run(Settings s, Map<String, InetSocketAddress> endpoints, Duration callTimeout, Duration tryTimeout,
      PrintWriter out) {
    byte[] value = new byte[s.valueBytes()];
    new Random(42).nextBytes(value);
    out.printf(Locale.ROOT, "bench: mode=%s concurrency=%d members=%d keys=%d value-bytes=%d warm-up=%ds measured=%ds%n",
        s.mode().label(), s.concurrency(), endpoints.size(), s.keys(), s.valueBytes(), s.warmup().toSeconds(),
        s.measured().toSeconds());
    out.flush();
    long t0 = System.nanoTime();
    try (KvClient loader = new KvClient(endpoints, null, callTimeout, tryTimeout)) {
      Flux.range(0, s.keys()).flatMap(i -> loader.put(key(i), value), PRELOAD_CONCURRENCY).then().block();
    } catch (RuntimeException e) {
      throw new IllegalStateException("preloading " + s.keys() + " keys failed: " + message(e), e);
    }
    out.printf(Locale.ROOT, "preloaded %d keys in %.1f s%n", s.keys(), (System.nanoTime() - t0) / 1e9);
    out.flush();

    List<KvClient> clients = clients(s.mode(), endpoints, callTimeout, tryTimeout);
    try {
      long start = System.nanoTime();
      long measureStart = start + s.warmup().toNanos();
      long end = measureStart + s.measured().toNanos();
      Latencies[] latencies = new Latencies[s.concurrency()];
      AtomicLong errors = new AtomicLong();
      AtomicReference<Throwable> firstError = new AtomicReference<>();
      List<Mono<Void>> workers = new ArrayList<>();
      for (int i = 0; i < s.concurrency(); i++) {
        latencies[i] = new Latencies();
        workers.add(worker(s, clients.get(i % clients.size()), value, measureStart, end, latencies[i], errors,
            firstError));
      }
      Mono.when(workers).block(s.warmup().plus(s.measured()).plus(callTimeout).plusSeconds(30));
      Throwable e = firstError.get();
      if (e != null) {
        out.println("first error: " + message(e));
      }
      return result(s, endpoints.size(), latencies, (end - measureStart) / 1e9, errors.get());
    } finally {
      clients.forEach(KvClient::close);
    }
  }

  /** One client for leader reads and writes; one per member, reading there first, for follower reads. */
  private static List<KvClient> clients(KvBenchMode mode, Map<String, InetSocketAddress> endpoints,
      Duration callTimeout, Duration tryTimeout) {
    if (mode != KvBenchMode.FOLLOWER) {
      return List.of(new KvClient(endpoints, null, callTimeout, tryTimeout));
    }
    List<KvClient> out = new ArrayList<>();
    for (String id : endpoints.keySet().stream().sorted().toList()) {
      out.add(new KvClient(endpoints, id, callTimeout, tryTimeout));
    }
    return out;
  }

  private static Mono<Void> worker(Settings s, KvClient client, byte[] value, long measureStart, long end,
      Latencies latencies, AtomicLong errors, AtomicReference<Throwable> firstError) {
    return Mono.defer(() -> {
      long began = System.nanoTime();
      String key = key(ThreadLocalRandom.current().nextInt(s.keys()));
      Mono<?> call = s.mode().reads() ? client.get(key) : client.put(key, value);
      return call.then(Mono.<Void>fromRunnable(() -> {
        long done = System.nanoTime();
        if (done >= measureStart && done < end) {
          latencies.add(done - began);
        }
      })).onErrorResume(e -> {
        long done = System.nanoTime();
        if (done >= measureStart && done < end) {
          errors.incrementAndGet();
        }
        firstError.compareAndSet(null, e);
        return Mono.empty();
      });
    }).repeat(() -> System.nanoTime() < end).then();
  }

  private static Result result(Settings s, int members, Latencies[] latencies, double seconds, long errors) {
    int n = 0;
    for (Latencies l : latencies) {
      n += l.size;
    }
    long[] all = new long[n];
    int at = 0;
    for (Latencies l : latencies) {
      System.arraycopy(l.values, 0, all, at, l.size);
      at += l.size;
    }
    Arrays.sort(all);
    return new Result(s, members, n, seconds, percentile(all, 0.50) / 1e6, percentile(all, 0.99) / 1e6, errors);
  }

  /** The nearest-rank percentile of sorted {@code values}; 0 for none. */
  static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  static String message(Throwable e) {
    Throwable t = e;
    while ((t.getMessage() == null || t.getCause() instanceof java.util.concurrent.TimeoutException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }

  /**
   * One worker's latencies in nanoseconds, a growing array. Its worker adds one call at a time (each
   * after the previous completed), so it needs no lock; read after the workers completed.
   */
  private static final class Latencies {
    long[] values = new long[1024];
    int size;

    void add(long nanos) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = nanos;
    }
  }
}

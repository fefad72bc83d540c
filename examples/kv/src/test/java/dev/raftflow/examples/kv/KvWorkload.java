package dev.raftflow.examples.kv;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.raftflow.client.SessionRefusedException;
import dev.raftflow.testkit.KvModel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * Client threads doing put, get and compare-and-set on a few keys, each thread with its own {@link
 * KvClient} (its own exactly-once session), recording every operation in a {@link KvHistory}. Every
 * value written is unique ({@code c<client>-<n>}), so a write applied twice or a stale read shows in
 * the history. A CAS expects the value its client last saw for the key. The keys in use change
 * every {@code keySeconds} (four fresh keys each time), which keeps each key's history small enough
 * for the checker however long the run. A write refused (its session refused, or the service) is
 * recorded as failed, one that fails otherwise (a timeout) as indeterminate; a read that fails as
 * failed (it changed nothing). After {@link #stop()}, each client writes once more when told the
 * cluster is healed ({@link #writeAfterHeal()}): a client left unable to write shows there.
 */
final class KvWorkload {

  static final int KEYS_AT_ONCE = 4;

  private final Map<String, InetSocketAddress> endpoints;
  private final List<String> readMembers;
  private final KvHistory history;
  private final long seed;
  private final long keyNanos;
  private final Duration callTimeout;
  private final long start = System.nanoTime();
  private final Set<String> keysUsed = new ConcurrentSkipListSet<>();
  private final List<Thread> threads = new ArrayList<>();
  private final List<String> stuck = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final java.util.concurrent.CountDownLatch healed = new java.util.concurrent.CountDownLatch(1);
  private java.util.concurrent.CountDownLatch parked;
  private volatile boolean stopping;

  /**
   * @param readMembers member each client reads from, by client number modulo its size; empty: the leader
   * @param callTimeout how long a client call may take, retries included (a try: a quarter of it, at most 1 s);
   *     a write that takes longer is indeterminate
   */
  KvWorkload(Map<String, InetSocketAddress> endpoints, List<String> readMembers, KvHistory history, long seed,
      int keySeconds, Duration callTimeout) {
    this.endpoints = Map.copyOf(endpoints);
    this.readMembers = List.copyOf(readMembers);
    this.history = history;
    this.seed = seed;
    this.keyNanos = keySeconds * 1_000_000_000L;
    this.callTimeout = callTimeout;
  }

  /** Starts {@code clients} threads. */
  void start(int clients) {
    parked = new java.util.concurrent.CountDownLatch(clients);
    for (int c = 0; c < clients; c++) {
      int client = c;
      Thread t = new Thread(() -> runClient(client), "kv-client-" + c);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  /** Stops the clients' load and waits until each finished its operation under way (at most its call timeout). */
  void stop() throws InterruptedException {
    stopping = true;
    if (!parked.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
      throw new IllegalStateException("clients did not stop within 30 s");
    }
  }

  /**
   * Once the cluster is healed: each client, with the same {@link KvClient} it used under the
   * faults, writes once more (key {@code after-heal-c<client>}); returns the clients that could not.
   */
  List<String> writeAfterHeal() throws InterruptedException {
    healed.countDown();
    for (Thread t : threads) {
      t.join(30_000);
      if (t.isAlive()) {
        stuck.add(t.getName() + " did not finish its write after the heal within 30 s");
      }
    }
    return List.copyOf(stuck);
  }

  /** Every key a client used. */
  Set<String> keysUsed() {
    return Set.copyOf(keysUsed);
  }

  private void runClient(int client) {
    Random random = new Random(seed * 31 + client);
    String readFrom = readMembers.isEmpty() ? null : readMembers.get(client % readMembers.size());
    Map<String, String> lastSeen = new HashMap<>();
    long n = 0;
    try (KvClient kv = new KvClient(endpoints, readFrom, callTimeout,
        Duration.ofMillis(Math.min(1000, Math.max(1, callTimeout.toMillis() / 4))))) {
      while (!stopping) {
        long generation = (System.nanoTime() - start) / keyNanos;
        String key = "g" + generation + "-k" + random.nextInt(KEYS_AT_ONCE);
        keysUsed.add(key);
        String value = "c" + client + "-" + n++;
        int dice = random.nextInt(10);
        if (dice < 4) {
          get(kv, client, key, lastSeen);
        } else if (dice < 7) {
          put(kv, client, key, value, lastSeen);
        } else {
          cas(kv, client, key, lastSeen.get(key), value, lastSeen);
        }
      }
      parked.countDown();
      healed.await();
      String key = "after-heal-c" + client;
      keysUsed.add(key);
      boolean written = false;
      for (int attempt = 0; attempt < 5 && !written; attempt++) { // a slow first try may time out
        written = put(kv, client, key, "c" + client + "-" + n++, lastSeen);
      }
      if (!written) {
        stuck.add("client " + client + " could not write after the heal (5 tries)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A refusal (session refused, the service's rejection) was not applied; anything else may have been. */
  private void writeFailed(int client, KvModel.Input in, long call, RuntimeException e) {
    if (e instanceof SessionRefusedException || e instanceof KvException) {
      history.failed();
    } else {
      history.indeterminate(client, in, call);
    }
  }

  private void get(KvClient kv, int client, String key, Map<String, String> lastSeen) {
    long call = KvHistory.now();
    try {
      Optional<byte[]> v = kv.get(key).block();
      String value = v.map(b -> new String(b, UTF_8)).orElse(null);
      history.ok(client, KvModel.Input.get(key), value, call);
      lastSeen.put(key, value);
    } catch (RuntimeException e) {
      history.failed();
    }
  }

  /** Whether it was acknowledged. */
  private boolean put(KvClient kv, int client, String key, String value, Map<String, String> lastSeen) {
    long call = KvHistory.now();
    try {
      Optional<byte[]> previous = kv.put(key, value.getBytes(UTF_8)).block();
      history.putOk(client, key, value, previous.map(b -> new String(b, UTF_8)).orElse(null), call);
      lastSeen.put(key, value);
      return true;
    } catch (RuntimeException e) {
      writeFailed(client, KvModel.Input.put(key, value), call, e);
      return false;
    }
  }

  private void cas(KvClient kv, int client, String key, String expected, String value, Map<String, String> lastSeen) {
    long call = KvHistory.now();
    KvModel.Input in = KvModel.Input.cas(key, expected, value);
    try {
      KvAnswer a = kv.cas(key, expected == null ? null : expected.getBytes(UTF_8), value.getBytes(UTF_8)).block();
      boolean applied = a.status() == KvAnswer.Status.APPLIED;
      history.ok(client, in, Boolean.toString(applied), call);
      lastSeen.put(key, applied ? value : (a.previous() == null ? null : new String(a.previous(), UTF_8)));
    } catch (RuntimeException e) {
      writeFailed(client, in, call, e);
    }
  }
}

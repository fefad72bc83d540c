package dev.raftflow.examples.kv;

import dev.raftflow.client.NodeStatus;
import dev.raftflow.client.RemoteClient;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * Injects faults into a {@link KvProcessCluster}, one at a time, from a seeded schedule: rounds in
 * which every {@link Kind} comes once, in a shuffled order, each fault held for a drawn time and
 * then undone, with a quiet pause between faults. The seed fixes the choices (kinds, targets,
 * durations), not the cluster's timing, so a rerun meets similar but not identical faults. Each
 * fault is printed as it starts. Runs on the caller's thread; {@link #run} returns once the
 * deadline passed and the last fault was undone.
 */
final class KvNemesis {

  /** What a fault does. */
  enum Kind {
    /** kill -9 a member (the leader more often than not), then restart it from its data. */
    KILL,
    /** SIGSTOP a member (the leader more often than not) for 1 to 8 s, then SIGCONT. */
    PAUSE,
    /** Ask the leader to hand leadership to another member. */
    TRANSFER,
    /** Split the members in two (a minority, with the leader in it half the time), both ways. */
    PARTITION,
    /** Cut one member's links one way: everything it sends to the others, or everything they send to it. */
    ONE_WAY
  }

  private final KvProcessCluster cluster;
  private final RemoteClient admin;
  private final Random random;
  private final PrintStream log;
  private final long start = System.nanoTime();
  private final Map<Kind, Integer> counts = new EnumMap<>(Kind.class);

  KvNemesis(KvProcessCluster cluster, RemoteClient admin, long seed, PrintStream log) {
    this.cluster = cluster;
    this.admin = admin;
    this.random = new Random(seed);
    this.log = log;
    for (Kind k : Kind.values()) {
      counts.put(k, 0);
    }
  }

  /** Faults done so far, by kind. */
  synchronized Map<Kind, Integer> counts() {
    return new EnumMap<>(counts);
  }

  /** Injects faults until {@code deadlineNanos} ({@link System#nanoTime()}), leaving every fault undone. */
  void run(long deadlineNanos) throws IOException, InterruptedException {
    List<Kind> round = new ArrayList<>();
    while (System.nanoTime() < deadlineNanos) {
      if (round.isEmpty()) {
        Collections.addAll(round, Kind.values());
        Collections.shuffle(round, random);
      }
      Kind kind = round.remove(0);
      inject(kind, deadlineNanos);
      synchronized (this) {
        counts.merge(kind, 1, Integer::sum);
      }
      sleepUntilOr(deadlineNanos, millis(500, 2000));
    }
  }

  private void inject(Kind kind, long deadlineNanos) throws IOException, InterruptedException {
    List<String> ids = cluster.ids();
    String leader = leader();
    switch (kind) {
      case KILL -> {
        String target = pickOften(leader, ids);
        note("kill -9 " + target + role(target, leader));
        cluster.kill(target);
        Thread.sleep(millis(500, 4000));
        note("restart " + target);
        cluster.restart(target);
      }
      case PAUSE -> {
        String target = pickOften(leader, ids);
        long hold = hold(1000, 8000, deadlineNanos);
        note("SIGSTOP " + target + role(target, leader) + " for " + hold + " ms");
        cluster.pause(target);
        Thread.sleep(hold);
        note("SIGCONT " + target);
        cluster.resume(target);
      }
      case TRANSFER -> {
        if (leader == null) {
          note("transfer: no leader known now");
          return;
        }
        List<String> others = new ArrayList<>(ids);
        others.remove(leader);
        String target = others.get(random.nextInt(others.size()));
        note("transfer leadership " + leader + " -> " + target);
        try {
          admin.transferLeadership(leader, target).block(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
          note("transfer " + leader + " -> " + target + " did not complete: " + e.getMessage());
        }
      }
      case PARTITION -> {
        List<String> shuffled = new ArrayList<>(ids);
        Collections.shuffle(shuffled, random);
        int minority = 1 + random.nextInt((ids.size() - 1) / 2);
        Set<String> side = new TreeSet<>(shuffled.subList(0, minority));
        if (leader != null && random.nextBoolean() && !side.contains(leader)) {
          side.remove(side.iterator().next());
          side.add(leader);
        }
        Set<String> rest = new TreeSet<>(ids);
        rest.removeAll(side);
        long hold = hold(1000, 6000, deadlineNanos);
        note("partition " + side + " | " + rest + " for " + hold + " ms (leader " + leader + ")");
        cluster.cut(side, rest);
        cluster.cut(rest, side);
        Thread.sleep(hold);
        note("heal");
        cluster.healLinks();
      }
      case ONE_WAY -> {
        String target = pickOften(leader, ids);
        List<String> others = new ArrayList<>(ids);
        others.remove(target);
        boolean outbound = random.nextBoolean();
        long hold = hold(1000, 6000, deadlineNanos);
        note("one-way: cut " + (outbound ? target + " -> " + others : others + " -> " + target) + role(target, leader)
            + " for " + hold + " ms");
        if (outbound) {
          cluster.cut(List.of(target), others);
        } else {
          cluster.cut(others, List.of(target));
        }
        Thread.sleep(hold);
        note("heal");
        cluster.healLinks();
      }
      default -> throw new IllegalStateException("unknown fault " + kind);
    }
  }

  /** The member that says it leads in the highest term, among the running ones that answer within 1 s; null if none. */
  String leader() {
    String best = null;
    long bestTerm = -1;
    for (String id : cluster.ids()) {
      if (!cluster.isRunning(id) || cluster.isPaused(id)) {
        continue;
      }
      try {
        NodeStatus s = admin.state(id).block(Duration.ofSeconds(1));
        if (s != null && s.isLeader() && s.term() > bestTerm) {
          best = id;
          bestTerm = s.term();
        }
      } catch (RuntimeException e) {
        // not answering now
      }
    }
    return best;
  }

  /** The leader with probability 0.7 when known, else any member. */
  private String pickOften(String leader, List<String> ids) {
    if (leader != null && random.nextDouble() < 0.7) {
      return leader;
    }
    return ids.get(random.nextInt(ids.size()));
  }

  private static String role(String id, String leader) {
    return id.equals(leader) ? " (leader)" : "";
  }

  private long millis(int min, int max) {
    return min + random.nextInt(max - min + 1);
  }

  /** A hold time in [min, max] ms, shortened to what is left before the deadline but not below min. */
  private long hold(int min, int max, long deadlineNanos) {
    long drawn = millis(min, max);
    long left = (deadlineNanos - System.nanoTime()) / 1_000_000;
    return Math.max(min, Math.min(drawn, left));
  }

  private static void sleepUntilOr(long deadlineNanos, long millis) throws InterruptedException {
    long left = (deadlineNanos - System.nanoTime()) / 1_000_000;
    Thread.sleep(Math.max(0, Math.min(left, millis)));
  }

  private void note(String what) {
    log.printf("[nemesis %6.1fs] %s%n", (System.nanoTime() - start) / 1e9, what);
    log.flush();
  }
}

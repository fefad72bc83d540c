package dev.raftflow.storage.chronicle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.PersistentState;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real crash of a host with 64 groups: a child JVM ({@link HostCrashChild}) writes to all of
 * them through one host store and reports what each group acknowledged; the test kills it with
 * SIGKILL at a random moment, reopens the host and checks, group by group, that every acknowledged
 * entry is present and intact. Several kills on the same directory, so each child also recovers
 * from the previous one. {@code -Draftflow.crash.seed=N} replays one run.
 */
class HostCrashProcessTest {
  private static final int GROUPS = 64;
  private static final int ROUNDS = 3;

  /** What a group acknowledged last: its last index and the term there. */
  private record Acked(long index, long term) {}

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void everyGroupsAcknowledgedEntriesSurviveSigkill(@TempDir Path dir) throws Exception {
    long seed = Long.getLong("raftflow.crash.seed", System.nanoTime());
    Random rnd = new Random(seed);
    String why = "seed " + seed + " (replay with -Draftflow.crash.seed=" + seed + ")";
    System.out.println("HostCrashProcessTest " + why);
    Map<String, Acked> acked = new HashMap<>();
    for (int round = 0; round < ROUNDS; round++) {
      Process p = startChild(dir, rnd.nextLong());
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      Thread pump = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          for (String l; (l = r.readLine()) != null; ) {
            lines.add(l);
          }
        } catch (Exception ignored) {
          // the child died
        }
      });
      pump.start();
      String ready = lines.poll(60, TimeUnit.SECONDS);
      assertThat(ready).as(why + " round " + round + ": child recovered").isEqualTo("READY");
      long firstAckBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (lines.stream().noneMatch(l -> l.startsWith("ACK ")) && System.nanoTime() < firstAckBy) {
        Thread.sleep(5);
      }
      Thread.sleep(200 + rnd.nextInt(800));
      p.destroyForcibly(); // SIGKILL on Unix
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      pump.join(10_000);
      int acks = 0;
      for (String l : lines) {
        String[] f = l.split(" ");
        if (f.length == 4 && f[0].equals("ACK")) {
          acked.put(f[1], new Acked(Long.parseLong(f[2]), Long.parseLong(f[3])));
          acks++;
        }
      }
      assertThat(acks).as(why + " round " + round + ": the child acknowledged something").isPositive();
      System.out.println("HostCrashProcessTest round " + round + ": " + acks + " acknowledged writes of "
          + acked.size() + " groups before the kill");
      verify(dir, acked, why + " round " + round);
    }
  }

  private static void verify(Path dir, Map<String, Acked> acked, String why) {
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, TestStoreOptions.SMALL)) {
      assertThat(host.groups()).as(why + " every group is known").hasSize(GROUPS);
      for (int g = 0; g < GROUPS; g++) {
        String name = HostCrashChild.name(g);
        String at = why + " " + name;
        PersistentState ps = host.openGroup(name).load();
        long base = ps.snapshot() == null ? 0 : ps.snapshot().index();
        if (ps.snapshot() != null) {
          assertThat(ps.snapshot().data()).as(at + " snapshot intact")
              .isEqualTo(HostCrashChild.snapshotData(name, ps.snapshot().index(), ps.snapshot().term()));
        }
        List<LogEntry> es = ps.entries();
        long prevTerm = ps.snapshot() == null ? 0 : ps.snapshot().term();
        for (int k = 0; k < es.size(); k++) {
          LogEntry e = es.get(k);
          assertThat(e.index()).as(at + " consecutive").isEqualTo(base + 1 + k);
          assertThat(e.data()).as(at + " entry " + e.index() + " intact").isEqualTo(HostCrashChild.payload(name, e.index(), e.term()));
          assertThat(e.term()).as(at + " terms never decrease").isGreaterThanOrEqualTo(prevTerm);
          prevTerm = e.term();
        }
        Acked a = acked.get(name);
        if (a != null) {
          assertThat(base + es.size()).as(at + " every acknowledged index is present").isGreaterThanOrEqualTo(a.index());
          if (a.index() > base) {
            assertThat(es.get((int) (a.index() - base - 1)).term()).as(at + " acknowledged entry " + a.index())
                .isGreaterThanOrEqualTo(a.term());
          }
        }
      }
    }
  }

  private static Process startChild(Path dir, long seed) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-") || a.startsWith("-Dchronicle")) {
        cmd.add(a);
      }
    }
    cmd.add("-Dchronicle.analytics.disable=true");
    cmd.add("-Xmx256m");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(HostCrashChild.class.getName());
    cmd.add(dir.toString());
    cmd.add(Long.toString(seed));
    cmd.add(Integer.toString(GROUPS));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }
}

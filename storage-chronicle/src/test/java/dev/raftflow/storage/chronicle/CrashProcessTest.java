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
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real crash: a child JVM ({@link CrashChild}) writes to the store and reports what it
 * acknowledged; the test kills it with SIGKILL at a random moment, reopens the store and checks
 * that every acknowledged entry is present and intact and that nothing served is invalid. Several
 * kill points, on the same directory, so each child also recovers from the previous kill.
 */
class CrashProcessTest {

  private static final int ROUNDS = 6;

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void acknowledgedEntriesSurviveSigkill(@TempDir Path dir) throws Exception {
    long seed = Long.getLong("raftflow.crash.seed", System.nanoTime());
    Random rnd = new Random(seed);
    String why = "seed " + seed + " (replay with -Draftflow.crash.seed=" + seed + ")";
    long lastAcked = 0;
    long lastAckedTerm = 0;
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
      assertThat(ready).as(why + " round " + round + ": child recovered").isNotNull().startsWith("READY");
      assertThat(Long.parseLong(ready.split(" ")[1])).as(why + " child sees every acknowledged entry").isGreaterThanOrEqualTo(lastAcked);
      // Once it has acknowledged something (a loaded host may take a while), let it run a random
      // while (the kill point), then SIGKILL.
      long firstAckBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (lines.stream().noneMatch(l -> l.startsWith("ACK ")) && System.nanoTime() < firstAckBy) {
        Thread.sleep(5);
      }
      Thread.sleep(100 + rnd.nextInt(600));
      p.destroyForcibly(); // SIGKILL on Unix
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      pump.join(10_000);
      int acks = 0;
      for (String l : lines) {
        if (l.startsWith("ACK ")) {
          String[] f = l.split(" ");
          lastAcked = Long.parseLong(f[1]);
          lastAckedTerm = Long.parseLong(f[2]);
          acks++;
        }
      }
      assertThat(acks).as(why + " round " + round + ": the child acknowledged something").isPositive();
      verify(dir, lastAcked, lastAckedTerm, why + " round " + round);
    }
  }

  private static void verify(Path dir, long lastAcked, long lastAckedTerm, String why) {
    try (ChronicleLogStore store = ChronicleLogStore.open(dir, TestStoreOptions.SMALL)) {
      PersistentState ps = store.load();
      long base = ps.snapshot() == null ? 0 : ps.snapshot().index();
      if (ps.snapshot() != null) {
        assertThat(ps.snapshot().data()).as(why + " snapshot intact")
            .isEqualTo(CrashChild.snapshotData(ps.snapshot().index(), ps.snapshot().term()));
      }
      List<LogEntry> es = ps.entries();
      long prevTerm = ps.snapshot() == null ? 0 : ps.snapshot().term();
      for (int k = 0; k < es.size(); k++) {
        LogEntry e = es.get(k);
        assertThat(e.index()).as(why + " consecutive").isEqualTo(base + 1 + k);
        assertThat(e.data()).as(why + " entry " + e.index() + " intact").isEqualTo(CrashChild.payload(e.index(), e.term()));
        assertThat(e.term()).as(why + " terms never decrease").isGreaterThanOrEqualTo(prevTerm);
        prevTerm = e.term();
      }
      long last = base + es.size();
      assertThat(last).as(why + " every acknowledged index is present").isGreaterThanOrEqualTo(lastAcked);
      if (lastAcked > base) {
        assertThat(es.get((int) (lastAcked - base - 1)).term()).as(why + " acknowledged entry " + lastAcked)
            .isGreaterThanOrEqualTo(lastAckedTerm);
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
    cmd.add(CrashChild.class.getName());
    cmd.add(dir.toString());
    cmd.add(Long.toString(seed));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }
}

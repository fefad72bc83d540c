package dev.raftflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** {@link ThreadSwitches}: a thread's blocking waits are counted under its kind, read from /proc. */
class ThreadSwitchesTest {

  @Test
  @EnabledOnOs(OS.LINUX)
  void aWriterThreadThatSleepsFiftyTimesIsCountedAsALogWriterThatBlockedFiftyTimes() throws Exception {
    java.util.concurrent.CountDownLatch counted = new java.util.concurrent.CountDownLatch(1);
    Thread sleeper = new Thread(() -> {
      for (int i = 0; i < 50; i++) {
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          return;
        }
      }
      try {
        counted.await(); // alive until counted: a thread that has ended is gone from /proc
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "raftflow-chronicle-io-test");
    ThreadSwitches start = ThreadSwitches.take();
    assertThat(start).as("/proc/self/task is readable on Linux").isNotNull();
    sleeper.start();
    while (sleeper.getState() != Thread.State.WAITING) {
      Thread.sleep(5);
    }
    Map<String, long[]> sums = ThreadSwitches.take().since(start);
    counted.countDown();
    sleeper.join();
    assertThat(sums.keySet()).containsExactlyElementsOf(ThreadSwitches.KINDS);
    assertThat(sums.get("log writers")[0]).as("voluntary switches of the sleeping writer").isGreaterThanOrEqualTo(50);
    assertThat(ThreadSwitches.describePerOp(sums, 10)).startsWith(String.format(java.util.Locale.ROOT, "%.2f blocking (loops ",
        sums.values().stream().mapToLong(v -> v[0]).sum() / 10.0));
  }

  @Test
  void namesAsLinuxTruncatesThemMapToTheirKinds() {
    assertThat(ThreadSwitches.kindOf("raftflow-n1")).isEqualTo("loops");
    assertThat(ThreadSwitches.kindOf("raftflow-h1-loo")).isEqualTo("loops");
    assertThat(ThreadSwitches.kindOf("raftflow-chroni")).isEqualTo("log writers");
    assertThat(ThreadSwitches.kindOf("raftflow-client")).isEqualTo("load driver");
    assertThat(ThreadSwitches.kindOf("reactor-tcp-epo")).isEqualTo("netty");
    assertThat(ThreadSwitches.kindOf("C2 CompilerThre")).isEqualTo("jvm");
    assertThat(ThreadSwitches.kindOf("G1 Conc#0")).isEqualTo("jvm");
    assertThat(ThreadSwitches.kindOf("main")).isEqualTo("other");
  }

  @Test
  void withoutProcItReadsNothing(@TempDir Path dir) {
    assertThat(ThreadSwitches.take(dir.resolve("missing"))).isNull();
    assertThat(ThreadSwitches.take(dir)).as("an empty task directory").isNull();
  }
}

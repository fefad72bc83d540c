package dev.raftflow.storage.chronicle;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A snapshot four times larger than the heap: taken by streaming on the leader, sent in chunks to a
 * member that was cut off, restored there as a stream and read back from its store, all in a child
 * JVM with {@code -Xmx64m}; as one array, the snapshot alone would not fit. To measure a larger
 * one: {@code -Draftflow.bigSnapshot.mib=1024 -Draftflow.bigSnapshot.heap=512m}.
 */
class BigSnapshotTest {

  @Test
  void aSnapshotLargerThanTheHeapIsTakenSentAndRestored(@TempDir Path dir) throws Exception {
    long mib = Long.getLong("raftflow.bigSnapshot.mib", 256); // larger ones to measure, see the class's Javadoc
    String heap = System.getProperty("raftflow.bigSnapshot.heap", "64m");
    Path gcLog = dir.resolve("gc.log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-") || a.startsWith("-Dchronicle")) {
        cmd.add(a);
      }
    }
    cmd.addAll(List.of("-Dchronicle.analytics.disable=true", "-Xmx" + heap, "-Xlog:gc:file=" + gcLog,
        "-cp", System.getProperty("java.class.path"), BigSnapshotChild.class.getName(),
        dir.toString(), Long.toString(mib), Integer.toString(1 << 20)));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = readAll(p);
    assertThat(p.waitFor(3, TimeUnit.MINUTES)).as("the child ends").isTrue();
    assertThat(p.exitValue()).as("the child's exit; its output:\n" + out).isZero();
    String result = out.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow();
    String[] f = result.split(" ");
    System.out.printf("%d MiB snapshot: taken in %s ms, sent and restored in %s ms, heap pools' peaks summed %d MiB%n",
        mib, f[5], f[3], Long.parseLong(f[4]) >> 20);
    System.out.printf("heap: -Xmx%s, the most in use at a collection %d MiB (GC log)%n", heap, peakInGcLog(gcLog));
    assertThat(Long.parseLong(f[1])).isEqualTo(mib << 20);
    assertThat(Long.parseLong(f[6])).as("the child's heap is much smaller than the snapshot").isLessThan(mib << 20);
  }

  /** The largest heap occupancy before a collection in a unified GC log ({@code 40M->12M(64M)}), in MiB. */
  private static long peakInGcLog(Path log) throws IOException {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)M->\\d+M\\(").matcher(Files.readString(log));
    long max = 0;
    while (m.find()) {
      max = Math.max(max, Long.parseLong(m.group(1)));
    }
    return max;
  }

  private static String readAll(Process p) throws IOException {
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }
}

package dev.raftflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code disk} measures both paths for each writer count, leaves nothing behind, refuses bad flags. */
class DiskCommandTest {

  private static final Pattern RESULT = Pattern.compile("RESULT disk path=(\\w+) writers=(\\d+) size=64 syncs_per_s=(\\d+) ");

  @Test
  void measuresTheStoreAndAPlainFileForEachWriterCount(@TempDir Path dir) throws Exception {
    String out = run("--seconds", "1", "--writers", "1,2", "--dir", dir.toString());
    Matcher m = RESULT.matcher(out);
    List<String> seen = new java.util.ArrayList<>();
    while (m.find()) {
      seen.add(m.group(1) + "/" + m.group(2));
      assertThat(Long.parseLong(m.group(3))).as("syncs per second of %s", m.group()).isPositive();
    }
    assertThat(seen).containsExactly("chronicle/1", "file/1", "chronicle/2", "file/2");
    try (var files = Files.list(dir)) {
      assertThat(files.toList()).as("run directories deleted").isEmpty();
    }
  }

  @Test
  void refusesAWriterCountOfZero() {
    assertThat(new CommandLine(new DiskCommand()).execute("--writers", "0")).isEqualTo(2);
  }

  private static String run(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertThat(new CommandLine(new DiskCommand()).execute(args)).isZero();
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }
}

package dev.raftflow.engine.core.script;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * One test per core script in {@code src/test/resources/core-scripts/*.txt}: runs its commands on a
 * fresh {@link ScriptCluster} and compares every output with the expected one checked in. A mismatch
 * fails naming the file, the line of the command and both outputs. With
 * {@code -Draftflow.scripts.rewrite=true} the files are rewritten with what the core does instead
 * (the test passes and prints which files changed): read the changed outputs before committing them.
 */
class CoreScriptTest {

  private static final String DIR_PROPERTY = "raftflow.scripts.dir";
  private static final boolean REWRITE = Boolean.getBoolean("raftflow.scripts.rewrite");

  @TestFactory
  Stream<DynamicTest> coreScripts() throws IOException {
    Path dir = Path.of(System.getProperty(DIR_PROPERTY, "src/test/resources/core-scripts"));
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException("no script directory " + dir.toAbsolutePath() + " (set -D" + DIR_PROPERTY + ")");
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
    }
    if (files.isEmpty()) {
      throw new IllegalStateException("no *.txt script in " + dir.toAbsolutePath());
    }
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), f.toUri(), () -> runScript(f)));
  }

  private static void runScript(Path file) throws IOException {
    String name = "core-scripts/" + file.getFileName();
    String text = Files.readString(file, StandardCharsets.UTF_8);
    ScriptFile script = ScriptFile.parse(name, text);
    ScriptCluster cluster = new ScriptCluster();
    List<List<String>> outputs = new ArrayList<>();
    String firstMismatch = null;
    int mismatches = 0;
    for (ScriptFile.Block b : script.blocks) {
      List<String> actual;
      try {
        actual = cluster.run(b.command());
      } catch (ScriptCluster.ScriptException e) {
        throw new AssertionError(name + ":" + b.line() + ": " + e.getMessage(), e);
      }
      outputs.add(actual);
      if (!actual.equals(b.expected())) {
        mismatches++;
        if (firstMismatch == null) {
          firstMismatch = describe(name, b, actual);
        }
      }
    }
    if (mismatches == 0) {
      return;
    }
    if (REWRITE) {
      Files.writeString(file, script.render(outputs), StandardCharsets.UTF_8);
      System.out.println("rewrote " + name + " (" + mismatches + " outputs changed)");
      return;
    }
    fail(firstMismatch + (mismatches > 1 ? "\n(" + (mismatches - 1) + " later outputs differ too)" : "")
        + "\nIf the new behaviour is right, rerun with -Draftflow.scripts.rewrite=true and review the diff.");
  }

  /** The command, its expected and actual output, and the first line where they part. */
  private static String describe(String name, ScriptFile.Block b, List<String> actual) {
    List<String> exp = b.expected();
    int i = 0;
    while (i < exp.size() && i < actual.size() && exp.get(i).equals(actual.get(i))) {
      i++;
    }
    int fileLine = b.line() + 2 + i; // command, ----, then the output lines
    StringBuilder s = new StringBuilder();
    s.append(name).append(':').append(fileLine).append(": output of '").append(b.command())
        .append("' (line ").append(b.line()).append(") differs at its line ").append(i + 1).append('\n');
    s.append("  expected: ").append(i < exp.size() ? exp.get(i) : "(end of output)").append('\n');
    s.append("  actual:   ").append(i < actual.size() ? actual.get(i) : "(end of output)").append('\n');
    s.append("--- expected\n");
    exp.forEach(l -> s.append("  ").append(l).append('\n'));
    s.append("+++ actual\n");
    actual.forEach(l -> s.append("  ").append(l).append('\n'));
    return s.toString();
  }
}

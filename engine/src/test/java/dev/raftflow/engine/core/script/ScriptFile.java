package dev.raftflow.engine.core.script;

import java.util.ArrayList;
import java.util.List;

/**
 * One core script parsed: blocks of comment lines and one command, each followed by a {@code ----}
 * line and the command's expected output, which ends at the next blank line (or the end of the
 * file). Lines starting with {@code #} are comments. {@link #render} writes the file back with other
 * outputs in place of the expected ones, keeping comments and blank lines as they were.
 */
final class ScriptFile {

  static final String SEPARATOR = "----";

  /** One command: the lines before it (comments, blank lines), its line number (1-based), text and expected output. */
  record Block(List<String> before, int line, String command, List<String> expected) {}

  final String name;
  final List<Block> blocks;
  /** Lines after the last block (comments, blank lines). */
  final List<String> trailer;

  private ScriptFile(String name, List<Block> blocks, List<String> trailer) {
    this.name = name;
    this.blocks = blocks;
    this.trailer = trailer;
  }

  /**
   * @throws IllegalArgumentException naming the file and line when a command is not followed by
   *     {@code ----}, or an output has no command
   */
  static ScriptFile parse(String name, String text) {
    List<String> lines = text.lines().toList();
    List<Block> blocks = new ArrayList<>();
    List<String> before = new ArrayList<>();
    int i = 0;
    while (i < lines.size()) {
      String l = lines.get(i);
      if (l.isBlank() || l.startsWith("#")) {
        before.add(l);
        i++;
        continue;
      }
      if (l.equals(SEPARATOR)) {
        throw new IllegalArgumentException(name + ":" + (i + 1) + ": '----' without a command before it");
      }
      int commandLine = i + 1;
      if (i + 1 >= lines.size() || !lines.get(i + 1).equals(SEPARATOR)) {
        throw new IllegalArgumentException(name + ":" + commandLine + ": command '" + l
            + "' must be followed by a '----' line (then its expected output)");
      }
      i += 2;
      List<String> expected = new ArrayList<>();
      while (i < lines.size() && !lines.get(i).isBlank()) {
        expected.add(lines.get(i));
        i++;
      }
      blocks.add(new Block(before, commandLine, l, expected));
      before = new ArrayList<>();
    }
    return new ScriptFile(name, blocks, before);
  }

  /** The file's text with {@code outputs.get(i)} as the output of block i. */
  String render(List<List<String>> outputs) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < blocks.size(); i++) {
      Block k = blocks.get(i);
      k.before().forEach(l -> b.append(l).append('\n'));
      b.append(k.command()).append('\n').append(SEPARATOR).append('\n');
      outputs.get(i).forEach(l -> b.append(l).append('\n'));
    }
    trailer.forEach(l -> b.append(l).append('\n'));
    return b.toString();
  }
}

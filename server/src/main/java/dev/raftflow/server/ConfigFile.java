package dev.raftflow.server;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * A command's {@code --config} properties file merged under its flags: each key is the name of a
 * flag without its dashes, a flag given on the command line wins, and every value is checked as
 * strictly as the flag would be. Unknown keys are refused, so a misspelling is never silently
 * ignored. Not thread-safe (used once, at start).
 */
final class ConfigFile {

  private final Properties values;
  private final String source;

  private ConfigFile(Properties values, String source) {
    this.values = values;
    this.source = source;
  }

  /** No file: only the flags and the defaults count. */
  static ConfigFile none() {
    return new ConfigFile(new Properties(), "");
  }

  /**
   * Reads {@code file} (null: {@link #none()}).
   *
   * @throws UsageException when it cannot be read or holds a key not in {@code known}
   */
  static ConfigFile load(Path file, Set<String> known) {
    if (file == null) {
      return none();
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException | IllegalArgumentException e) {
      throw new UsageException("--config: cannot read " + file + ": " + Failures.describe(e), e);
    }
    Set<String> unknown = new TreeSet<>(p.stringPropertyNames());
    unknown.removeAll(known);
    if (!unknown.isEmpty()) {
      throw new UsageException("--config " + file + ": unknown key" + (unknown.size() > 1 ? "s " : " ") + unknown
          + "; the keys are " + new TreeSet<>(known));
    }
    return new ConfigFile(p, " (or '" + "%s" + "' in " + file + ")");
  }

  /** The flag's value, else the file's, else {@code dflt}. */
  String text(String key, String flag, String dflt) {
    if (flag != null) {
      return flag;
    }
    String v = values.getProperty(key);
    return v != null ? v.trim() : dflt;
  }

  /** A boolean: a flag that was given wins; the file's value must be true or false. */
  boolean bool(String key, Boolean flag, boolean dflt) {
    if (flag != null) {
      return flag;
    }
    String v = values.getProperty(key);
    if (v == null) {
      return dflt;
    }
    return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new UsageException(name(key) + " must be true or false, was '" + v.trim() + "'");
    };
  }

  /** An integer in {@code min..max}, from the flag, else the file, else {@code dflt}. */
  int integer(String key, Integer flag, int dflt, int min, int max) {
    int v;
    if (flag != null) {
      v = flag;
    } else if (values.getProperty(key) != null) {
      try {
        v = Integer.parseInt(values.getProperty(key).trim());
      } catch (NumberFormatException e) {
        throw new UsageException(name(key) + " must be a whole number, was '" + values.getProperty(key).trim() + "'");
      }
    } else {
      v = dflt;
    }
    if (v < min || v > max) {
      throw new UsageException(name(key) + " must be in " + min + ".." + max + ", was " + v);
    }
    return v;
  }

  /** How to name {@code key} in an error: the flag, and the file's key when there is a file. */
  String name(String key) {
    return "--" + key + (source.isEmpty() ? "" : String.format(source, key));
  }
}

package dev.raftflow.server;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The groups {@code node --groups} runs: a count N (groups {@code g0} ... {@code g{N-1}}) or a
 * comma-separated list of group ids (each 1 to 255 bytes of UTF-8, no spaces or commas, no
 * duplicates). Bad input fails {@link UsageException} naming what is wrong. Stateless.
 */
final class GroupList {

  /** The most groups one process runs from the command line. */
  static final int MAX_GROUPS = 100_000;

  private GroupList() {}

  static List<String> parse(String spec) {
    String s = spec.strip();
    if (s.isEmpty()) {
      throw new UsageException("--groups is empty: give a count or a comma-separated list of group ids");
    }
    if (s.matches("-?\\d+")) { // a number is a count, never an id ("-1" is a bad count, not a group)
      int n;
      try {
        n = Integer.parseInt(s);
      } catch (NumberFormatException e) {
        n = -1;
      }
      if (n < 1 || n > MAX_GROUPS) {
        throw new UsageException("--groups must be 1.." + MAX_GROUPS + " groups, was " + s);
      }
      List<String> ids = new ArrayList<>(n);
      for (int g = 0; g < n; g++) {
        ids.add("g" + g);
      }
      return ids;
    }
    Set<String> ids = new LinkedHashSet<>();
    for (String part : s.split(",", -1)) {
      String id = part.strip();
      if (id.isEmpty()) {
        throw new UsageException("--groups '" + spec + "' has an empty group id");
      }
      if (id.chars().anyMatch(Character::isWhitespace)) {
        throw new UsageException("--groups: group id '" + id + "' contains a space");
      }
      if (id.getBytes(StandardCharsets.UTF_8).length > 255) {
        throw new UsageException("--groups: group id '" + id.substring(0, 20) + "...' is longer than 255 bytes");
      }
      if (!ids.add(id)) {
        throw new UsageException("--groups names group '" + id + "' twice");
      }
    }
    if (ids.size() > MAX_GROUPS) {
      throw new UsageException("--groups names " + ids.size() + " groups, at most " + MAX_GROUPS);
    }
    return List.copyOf(ids);
  }
}

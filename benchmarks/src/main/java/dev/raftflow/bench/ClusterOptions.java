package dev.raftflow.bench;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.storage.chronicle.Durability;
import dev.raftflow.storage.chronicle.ChronicleLogStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/** Options shared by the commands that start a local cluster. */
final class ClusterOptions {

  @Option(names = "--nodes", defaultValue = "3", description = "Members of the group (default ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--size", defaultValue = "64", description = "Command payload in bytes (default ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--transport", defaultValue = "rsocket",
      description = "rsocket (TCP on 127.0.0.1) or memory (default ${DEFAULT-VALUE}).")
  String transport;

  @Option(names = "--storage", defaultValue = "chronicle",
      description = "chronicle (on disk) or memory (default ${DEFAULT-VALUE}).")
  String storage;

  @Option(names = "--durability", defaultValue = "fsync",
      description = "chronicle: fsync (each batch synced before it counts) or os-cache (default ${DEFAULT-VALUE}).")
  String durability;

  @Option(names = "--data-dir", description = "chronicle: where the members keep their logs (default: a temp dir, deleted at exit).")
  Path dataDir;

  @Option(names = "--apply-delay-us", defaultValue = "0",
      description = "Busy work per applied command on an applier thread: a slow state machine (default ${DEFAULT-VALUE}).")
  long applyDelayMicros;

  @Option(names = "--log-entries-in-memory", defaultValue = "2147483647", paramLabel = "N",
      description = "Entries each member keeps in memory beyond those it applied and made durable; older ones are "
          + "read back from the store when a follower needs them (default: all).")
  int logEntriesInMemory = Integer.MAX_VALUE;

  /** Most members of the embedded group: real groups have 3, 5 or 7 voters, and all of them share this machine. */
  static final int MAX_NODES = 9;

  /** Most busy work per applied command: a state machine slower than 100 ms per command measures nothing of the engine. */
  static final long MAX_APPLY_DELAY_MICROS = 100_000;

  /** Commands up to this size fit any Chronicle store's entries; above it the store's own limit is looked up. */
  private static final int SURELY_STORABLE = 4096;

  /**
   * Refuses values out of bounds, before anything starts: a {@link picocli.CommandLine.ParameterException}
   * naming the flag. {@code check} is the command's own (it names the command in the message).
   */
  void validate(FlagCheck check) throws IOException {
    check.oneOf("--transport", transport, "rsocket", "memory")
        .oneOf("--storage", storage, "chronicle", "memory")
        .oneOf("--durability", durability, "fsync", "os-cache")
        .range("--nodes", nodes, 1, MAX_NODES, "members of the group, all in this process")
        .range("--apply-delay-us", applyDelayMicros, 0, MAX_APPLY_DELAY_MICROS, "")
        .range("--log-entries-in-memory", logEntriesInMemory, 1, Integer.MAX_VALUE, "");
    int max = maxCommandBytes();
    check.range("--size", size, 0, max, "the largest command a node accepts"
        + (storage.equals("chronicle") && max < raftOptions().maxCommandBytes() ? ", the Chronicle store's entry limit" : ", maxCommandBytes"));
    check.require(dataDir == null || !Files.exists(dataDir) || Files.isDirectory(dataDir),
        "--data-dir " + dataDir + " exists and is not a directory");
  }

  /** The same checks outside a command line (the JMH benchmarks' clusters): the refusal's text, or null. */
  String validate() {
    try {
      validate(new FlagCheck(IllegalArgumentException::new));
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The largest command the members accept: the engine's maxCommandBytes, or the store's entry limit if lower. */
  int maxCommandBytes() throws IOException {
    int max = raftOptions().maxCommandBytes();
    if (storage.equals("chronicle") && size > SURELY_STORABLE) {
      Path probe = Files.createTempDirectory("raftflow-probe-");
      try {
        ChronicleLogStore store = ChronicleLogStore.open(probe.resolve("store"), ChronicleLogStore.Options.defaults().withDurability(durability()));
        try {
          max = Math.min(max, store.maxEntryBytes());
        } finally {
          store.close();
        }
      } finally {
        try (Stream<Path> files = Files.walk(probe)) {
          for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(f);
          }
        }
      }
    }
    return max;
  }

  RaftOptions raftOptions() {
    return RaftOptions.builder().logEntriesInMemory(logEntriesInMemory).build();
  }

  LocalCluster start() throws java.io.IOException {
    return new LocalCluster(this, raftOptions());
  }

  Durability durability() {
    return durability.equals("fsync") ? Durability.FSYNC : Durability.OS_CACHE;
  }

  /** Whether acknowledged entries are on stable storage (the RESULT line's fsync field). */
  boolean fsync() {
    return storage.equals("chronicle") && durability.equals("fsync");
  }

  String describe() {
    return nodes + " nodes, " + transport + " transport, " + storage + " storage"
        + (storage.equals("chronicle") ? " (" + durability + ")" : "") + ", " + size + " B commands"
        + (applyDelayMicros > 0 ? ", state machine " + applyDelayMicros + " us/command" : "");
  }
}

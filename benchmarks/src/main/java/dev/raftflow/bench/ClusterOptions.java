package dev.raftflow.bench;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.storage.chronicle.Durability;
import java.nio.file.Path;
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

  /** Checks the values; returns an error text or null. */
  String validate() {
    if (!transport.equals("memory") && !transport.equals("rsocket")) {
      return "--transport must be rsocket or memory, was " + transport;
    }
    if (!storage.equals("memory") && !storage.equals("chronicle")) {
      return "--storage must be chronicle or memory, was " + storage;
    }
    if (!durability.equals("fsync") && !durability.equals("os-cache")) {
      return "--durability must be fsync or os-cache, was " + durability;
    }
    if (nodes < 1 || size < 0 || applyDelayMicros < 0) {
      return "--nodes must be positive; --size and --apply-delay-us not negative";
    }
    return null;
  }

  RaftOptions raftOptions() {
    return RaftOptions.defaults();
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

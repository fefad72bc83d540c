package dev.raftflow.bench;

import dev.raftflow.engine.RaftOptions;
import picocli.CommandLine.Option;

/** Options shared by the commands that start a local cluster. */
final class ClusterOptions {

  @Option(names = "--nodes", defaultValue = "3", description = "Members of the group (default ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--size", defaultValue = "64", description = "Command payload in bytes (default ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--transport", defaultValue = "memory", description = "memory (default ${DEFAULT-VALUE}).")
  String transport;

  @Option(names = "--storage", defaultValue = "memory", description = "memory (default ${DEFAULT-VALUE}).")
  String storage;

  @Option(names = "--apply-delay-us", defaultValue = "0",
      description = "Busy work per applied command on an applier thread: a slow state machine (default ${DEFAULT-VALUE}).")
  long applyDelayMicros;

  /** Checks the values; returns an error text or null. */
  String validate() {
    if (!transport.equals("memory") || !storage.equals("memory")) {
      return "only --transport memory and --storage memory are available in this build";
    }
    if (nodes < 1 || size < 0 || applyDelayMicros < 0) {
      return "--nodes must be positive; --size and --apply-delay-us not negative";
    }
    return null;
  }

  RaftOptions raftOptions() {
    return RaftOptions.defaults();
  }

  LocalCluster start() {
    return new LocalCluster(nodes, raftOptions(), applyDelayMicros);
  }

  String describe() {
    return nodes + " nodes, " + transport + " transport, " + storage + " storage, " + size + " B commands"
        + (applyDelayMicros > 0 ? ", state machine " + applyDelayMicros + " us/command" : "");
  }
}

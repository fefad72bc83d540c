package dev.raftflow.bench;

import dev.raftflow.server.ClientCommand;
import dev.raftflow.server.NodeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code raftflow.jar}: {@code run} (the default) starts an embedded cluster under load;
 * {@code node} and {@code client} are the server module's commands.
 */
@Command(
    name = "raftflow",
    mixinStandardHelpOptions = true,
    version = "raftflow 0.1.0-SNAPSHOT",
    description = "Runs a raftflow cluster under load and reports throughput and latency.",
    subcommands = {RunCommand.class, SweepCommand.class, OverloadCommand.class, DiskCommand.class, NodeCommand.class, ClientCommand.class})
public final class Main implements Runnable {

  public static void main(String[] args) {
    System.setProperty("chronicle.analytics.disable", "true");
    String[] effective = args.length == 0 || args[0].startsWith("-") ? prepend("run", args) : args;
    int code = new CommandLine(new Main()).execute(effective);
    System.exit(code);
  }

  private static String[] prepend(String first, String[] rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}

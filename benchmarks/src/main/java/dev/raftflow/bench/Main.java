package dev.raftflow.bench;

import dev.raftflow.server.ClientCommand;
import dev.raftflow.server.NodeCommand;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * Entry point of {@code raftflow.jar}: {@code run} (the default when no command is named) starts an
 * embedded cluster under load; {@code node} and {@code client} are the server module's commands.
 * Every command exits 0 on success, 2 for a command line it refuses (one line on stderr, nothing
 * started) and 1 for a failure while running (one line on stderr; {@code --verbose} adds the trace).
 */
@Command(
    name = "raftflow",
    mixinStandardHelpOptions = true,
    versionProvider = VersionInfo.class,
    description = {"Runs a raftflow cluster under load and reports throughput and latency.",
        "Without a command, runs 'run' (flags given first go to it)."},
    synopsisSubcommandLabel = "[COMMAND]",
    commandListHeading = "%nCommands:%n",
    exitCodeListHeading = ExitCodes.HEADING,
    exitCodeList = {ExitCodes.OK_TEXT, ExitCodes.FAILED_TEXT, ExitCodes.USAGE_TEXT},
    subcommands = {RunCommand.class, SweepCommand.class, OverloadCommand.class, DiskCommand.class, ElectionsCommand.class, FailoverCommand.class,
        IdleGroupsCommand.class, GroupsCommand.class, FairnessCommand.class,
        NodeCommand.class, ClientCommand.class})
public final class Main implements Runnable {

  /** The flags {@code raftflow} itself answers; any other leading flag goes to the default command. */
  private static final Set<String> OWN_FLAGS = Set.of("-h", "--help", "-V", "--version");

  public static void main(String[] args) {
    System.setProperty("chronicle.analytics.disable", "true");
    System.exit(execute(commandLine(), args));
  }

  /**
   * The command line with raftflow's error handling: a refused command line prints one line (and
   * where to find help), a failure while running prints its reason in one line unless
   * {@code --verbose} asks for the stack trace.
   */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setParameterExceptionHandler(Main::refused);
    cl.setExecutionExceptionHandler((e, failed, parsed) -> failed(e, failed, parsed));
    cl.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, Main::commandList);
    return cl;
  }

  /** Runs {@code args} on {@code cl}, naming {@code run} when no command is named. Returns the exit code. */
  static int execute(CommandLine cl, String... args) {
    boolean defaultCommand = args.length == 0 || (args[0].startsWith("-") && !OWN_FLAGS.contains(args[0]));
    return cl.execute(defaultCommand ? prepend("run", args) : args);
  }

  /** One line per command: its name and the first line of its header or description, cut to the help's width. */
  private static String commandList(CommandLine.Help help) {
    Map<String, CommandLine.Help> commands = help.subcommands();
    int nameWidth = commands.keySet().stream().mapToInt(String::length).max().orElse(0);
    int width = help.commandSpec().usageMessage().width();
    StringBuilder s = new StringBuilder();
    for (Map.Entry<String, CommandLine.Help> c : commands.entrySet()) {
      var usage = c.getValue().commandSpec().usageMessage();
      String[] text = usage.header().length > 0 ? usage.header() : usage.description();
      String line = String.format("  %-" + nameWidth + "s  %s", c.getKey(), text.length == 0 ? "" : text[0]);
      if (line.length() > width) {
        int cut = line.lastIndexOf(' ', width - 4);
        line = line.substring(0, cut > nameWidth + 4 ? cut : width - 4).stripTrailing() + " ...";
      }
      s.append(line).append(System.lineSeparator());
    }
    return s.toString();
  }

  private static int refused(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    String name = cmd.getCommandSpec().qualifiedName();
    err.println(name + ": " + e.getMessage() + " (see '" + name + " --help')");
    if (verbose(cmd.getCommandSpec().root().commandLine().getParseResult())) {
      e.printStackTrace(err);
    }
    err.flush();
    return ExitCodes.USAGE;
  }

  private static int failed(Exception e, CommandLine cmd, ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    boolean verbose = verbose(parsed);
    err.println(cmd.getCommandSpec().qualifiedName() + " failed: " + reason(e) + (verbose ? "" : " (--verbose shows the stack trace)"));
    if (verbose) {
      e.printStackTrace(err);
    }
    err.flush();
    return ExitCodes.FAILED;
  }

  /** The exception and its causes in one line: {@code Type: message; caused by Type: message}. */
  static String reason(Throwable e) {
    StringBuilder s = new StringBuilder();
    for (Throwable t = e; t != null && s.length() < 1000; t = t.getCause() == t ? null : t.getCause()) {
      s.append(s.length() == 0 ? "" : "; caused by ").append(t.getClass().getSimpleName());
      if (t.getMessage() != null) {
        s.append(": ").append(t.getMessage().replace('\n', ' '));
      }
    }
    return s.toString();
  }

  private static boolean verbose(ParseResult parsed) {
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }

  private static String[] prepend(String first, String[] rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}

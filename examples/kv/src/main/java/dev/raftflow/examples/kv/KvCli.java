package dev.raftflow.examples.kv;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import reactor.core.publisher.Mono;

/**
 * {@code kv}: runs a member ({@code kv server ...}) or talks to a running cluster ({@code kv
 * --endpoints n1=host:port,... put|get|delete|cas|range ...}), keys and values as UTF-8 text. Exits
 * 0 on success, 1 when the work failed (no member answered, a member refused), 2 on bad input
 * (one line; {@code --verbose} adds the stack trace) and 3 for a definite "no": {@code get} of an
 * absent key, a {@code cas} whose expectation did not hold. {@code kv ... bench} measures throughput
 * ({@link KvBenchCommand}).
 */
@Command(name = "kv", mixinStandardHelpOptions = true,
    subcommands = {KvServerCommand.class, KvCli.Put.class, KvCli.Get.class, KvCli.Delete.class, KvCli.Cas.class,
        KvCli.Range.class, KvBenchCommand.class},
    description = "A replicated key-value store on raftflow: run a member, or put, get, delete, compare-and-set "
        + "and scan keys of a running cluster.")
public final class KvCli implements Callable<Integer> {

  static final int FAILED = 1;
  static final int USAGE = 2;
  /** {@code get} found no value, or a {@code cas} did not hold. */
  static final int NO = 3;

  @Spec
  CommandSpec spec;

  @Option(names = "--endpoints", description = "The members' client addresses (each kv server's --client-listen): "
      + "id=host:port,...")
  String endpoints;

  @Option(names = "--read-from", description = "Send reads to this member first (any member with --follower-reads; "
      + "default: the leader).")
  String readFrom;

  @Option(names = "--timeout-ms", defaultValue = "20000", description = "Give up a call after this long, retries "
      + "included (default ${DEFAULT-VALUE}).")
  long timeoutMs;

  @Option(names = "--verbose", description = "Print stack traces with errors.")
  boolean verbose;

  /** Runs {@code kv} with these arguments and exits with its code. */
  public static void main(String[] args) {
    System.setProperty("chronicle.analytics.disable", "true");
    System.exit(commandLine().execute(args));
  }

  /** The {@code kv} command line, ready to execute. */
  public static CommandLine commandLine() {
    return new CommandLine(new KvCli());
  }

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    err.println("kv: name a command: server, put, get, delete, cas, range or bench (kv --help)");
    err.flush();
    return USAGE;
  }

  /** Parses {@code id=host:port,...}. */
  static Map<String, InetSocketAddress> parseEndpoints(String spec) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("--endpoints is required: id=host:port,...");
    }
    Map<String, InetSocketAddress> out = new LinkedHashMap<>();
    for (String part : spec.split(",")) {
      String p = part.trim();
      int eq = p.indexOf('=');
      int colon = p.lastIndexOf(':');
      if (eq <= 0 || colon < eq + 2 || colon == p.length() - 1) {
        throw new IllegalArgumentException("--endpoints: '" + p + "' is not id=host:port");
      }
      String id = p.substring(0, eq);
      String host = p.substring(eq + 1, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1); // [::1]
      }
      int port;
      try {
        port = Integer.parseInt(p.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--endpoints: '" + p + "' has no numeric port");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("--endpoints: port " + port + " of '" + id + "' is not 1..65535");
      }
      if (out.put(id, InetSocketAddress.createUnresolved(host, port)) != null) {
        throw new IllegalArgumentException("--endpoints: '" + id + "' is listed twice");
      }
    }
    return out;
  }

  /**
   * Runs one client call: builds the client from the flags, waits for {@code call}'s exit code, and
   * reports a failure in one line.
   */
  int run(CommandSpec sub, Function<KvClient, Mono<Integer>> call) {
    PrintWriter err = sub.commandLine().getErr();
    KvClient client;
    try {
      if (timeoutMs <= 0) {
        throw new IllegalArgumentException("--timeout-ms must be positive, was " + timeoutMs);
      }
      Duration call0 = Duration.ofMillis(timeoutMs);
      client = new KvClient(parseEndpoints(endpoints), readFrom, call0, call0.compareTo(Duration.ofSeconds(2)) < 0
          ? call0 : Duration.ofSeconds(2));
    } catch (IllegalArgumentException e) {
      return report(err, e, USAGE);
    }
    try (client) {
      Integer code = call.apply(client).block();
      return code == null ? 0 : code;
    } catch (IllegalArgumentException e) {
      return report(err, e, USAGE);
    } catch (RuntimeException e) {
      return report(err, e, FAILED);
    }
  }

  /** Prints {@code e} as one line (with the stack trace under {@code --verbose}); returns {@code code}. */
  int report(PrintWriter err, Throwable e, int code) {
    Throwable t = e;
    if (t.getCause() instanceof TimeoutException) {
      t = t.getCause(); // block() wraps checked exceptions
    }
    while (t.getMessage() == null && t.getCause() != null) {
      t = t.getCause();
    }
    String text = t instanceof TimeoutException
        ? "no member answered within " + timeoutMs + " ms (a write may still have been applied)"
        : t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    err.println("kv: " + (code == USAGE ? "" : "failed: ") + text);
    if (verbose) {
      e.printStackTrace(err);
    }
    err.flush();
    return code;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  private static int print(CommandSpec spec, String line) {
    PrintWriter out = spec.commandLine().getOut();
    out.println(line);
    out.flush();
    return 0;
  }

  @Command(name = "put", mixinStandardHelpOptions = true, description = "Set KEY to VALUE; prints OK.")
  static final class Put implements Callable<Integer> {
    @ParentCommand KvCli parent;
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "KEY") String key;
    @Parameters(index = "1", paramLabel = "VALUE") String value;

    @Override
    public Integer call() {
      return parent.run(spec, c -> c.put(key, utf8(value)).map(prev -> print(spec, "OK")));
    }
  }

  @Command(name = "get", mixinStandardHelpOptions = true,
      description = "Print KEY's value (linearizable read); exit 3 when absent.")
  static final class Get implements Callable<Integer> {
    @ParentCommand KvCli parent;
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "KEY") String key;

    @Override
    public Integer call() {
      return parent.run(spec, c -> c.get(key).map(v -> v.isPresent() ? print(spec, text(v.get())) : absent(spec, key)));
    }
  }

  private static int absent(CommandSpec spec, String key) {
    PrintWriter err = spec.commandLine().getErr();
    err.println("kv: '" + key + "' is absent");
    err.flush();
    return NO;
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Remove KEY; prints OK (also when it was absent).")
  static final class Delete implements Callable<Integer> {
    @ParentCommand KvCli parent;
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "KEY") String key;

    @Override
    public Integer call() {
      return parent.run(spec, c -> c.delete(key).map(prev -> print(spec, "OK")));
    }
  }

  @Command(name = "cas", mixinStandardHelpOptions = true,
      description = "Compare-and-set: 'cas KEY EXPECTED NEW' or 'cas --absent KEY NEW'. Prints OK, or exits 3 "
          + "printing the value found.")
  static final class Cas implements Callable<Integer> {
    @ParentCommand KvCli parent;
    @Spec CommandSpec spec;
    @Option(names = "--absent", description = "Set only if KEY has no value.") boolean absent;
    @Parameters(paramLabel = "ARGS", arity = "2..3", description = "KEY EXPECTED NEW, or KEY NEW with --absent")
    List<String> args;

    @Override
    public Integer call() {
      if (args.size() != (absent ? 2 : 3)) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("kv: cas takes KEY EXPECTED NEW, or --absent KEY NEW; got " + args.size() + " arguments");
        err.flush();
        return USAGE;
      }
      String key = args.get(0);
      byte[] expected = absent ? null : utf8(args.get(1));
      byte[] value = utf8(args.get(args.size() - 1));
      return parent.run(spec, c -> c.cas(key, expected, value).map(a -> {
        if (a.status() == KvAnswer.Status.APPLIED) {
          return print(spec, "OK");
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("NOT APPLIED: '" + key + "' is " + (a.previous() == null ? "absent" : "'" + text(a.previous()) + "'"));
        out.flush();
        return NO;
      }));
    }
  }

  @Command(name = "range", mixinStandardHelpOptions = true,
      description = "Print key=value for FROM <= key < TO in key order (no FROM: from the first key; no TO: to the last).")
  static final class Range implements Callable<Integer> {
    @ParentCommand KvCli parent;
    @Spec CommandSpec spec;
    @Parameters(index = "0", arity = "0..1", paramLabel = "FROM") String from;
    @Parameters(index = "1", arity = "0..1", paramLabel = "TO") String to;
    @Option(names = "--limit", defaultValue = "1000", description = "At most this many entries (1..10000; default ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() {
      return parent.run(spec, c -> Mono.defer(() -> c.range(from, to, limit)).map(entries -> {
        PrintWriter out = spec.commandLine().getOut();
        for (KvEntry e : entries) {
          out.println(e.key() + "=" + text(e.value()));
        }
        out.flush();
        return 0;
      }));
    }
  }
}

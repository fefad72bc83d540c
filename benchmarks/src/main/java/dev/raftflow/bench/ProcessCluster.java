package dev.raftflow.bench;

import dev.raftflow.testkit.FreePorts;
import dev.raftflow.testkit.LinkProxy;
import dev.raftflow.testkit.ProxyLoop;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A group of {@code node} processes of this same program on 127.0.0.1, each directed peer link
 * i→j through its own {@link LinkProxy} (node i's {@code --peers} names j at that proxy's port), so
 * that links can be cut per ordered pair. Nodes run with fsync on; their output goes to {@code
 * <dir>/<id>.log} and their {@code STATE ... role=LEADER} lines are recorded with the local
 * {@link System#nanoTime()} at which they were read. Thread-safe; {@link #close()} kills every node
 * and closes every proxy.
 *
 * <p>The transport learns a peer's address from its SETUP frame only with {@code --allow-joiners},
 * and never over an address given in {@code --peers}; nodes run without that flag, so every
 * connection goes through the proxies.
 */
final class ProcessCluster implements AutoCloseable {

  /** The JVM flags Chronicle Queue needs on Java 17+ when not run through the jar's manifest. */
  private static final List<String> CHRONICLE_FLAGS = List.of("--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
      "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
      "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
      "--add-opens=java.base/java.nio=ALL-UNNAMED");

  private static final Pattern LEADER_LINE = Pattern.compile("^STATE id=(\\S+) term=(\\d+) role=LEADER ");

  /** A node's {@code STATE ... role=LEADER} line, as read. */
  record LeaderLine(long nanos, String id, long term) {}

  private final List<String> ids = new ArrayList<>();
  private final Path dir;
  private final List<String> extraFlags;
  private final Map<String, Integer> peerPorts = new LinkedHashMap<>();
  private final Map<String, InetSocketAddress> clientEndpoints = new LinkedHashMap<>();
  private final Map<String, LinkProxy> proxies = new LinkedHashMap<>(); // "i>j"
  private final Map<String, Process> processes = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<LeaderLine> leaderLines = new ConcurrentLinkedQueue<>();
  private final ProxyLoop loop = new ProxyLoop();
  private final PrintWriter log;
  /** Kills the nodes if this JVM exits without {@link #close()} (Ctrl-C, SIGTERM). */
  private final Thread killOnExit = new Thread(() -> processes.values().forEach(Process::destroyForcibly), "kill-nodes");

  /**
   * Starts {@code n} nodes named n1..nN with data under {@code dir}, passing {@code extraFlags} to
   * each (timing flags), and waits until each printed READY.
   */
  ProcessCluster(int n, Path dir, List<String> extraFlags, PrintWriter log) throws IOException, InterruptedException {
    this.dir = dir;
    this.extraFlags = List.copyOf(extraFlags);
    this.log = log;
    Runtime.getRuntime().addShutdownHook(killOnExit);
    for (int i = 1; i <= n; i++) {
      String id = "n" + i;
      ids.add(id);
      peerPorts.put(id, FreePorts.forServer());
      clientEndpoints.put(id, new InetSocketAddress("127.0.0.1", FreePorts.forServer()));
    }
    try {
      for (String from : ids) {
        for (String to : ids) {
          if (!from.equals(to)) {
            proxies.put(from + ">" + to, new LinkProxy(loop, new InetSocketAddress("127.0.0.1", peerPorts.get(to))));
          }
        }
      }
      for (String id : ids) {
        launch(id);
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      close();
      throw e;
    }
  }

  List<String> ids() {
    return List.copyOf(ids);
  }

  /** Member id → client endpoint (127.0.0.1). */
  Map<String, InetSocketAddress> clientEndpoints() {
    return Map.copyOf(clientEndpoints);
  }

  /** Cuts both directions between {@code id} and every other member, all in one turn of the proxy loop. */
  void isolate(String id) {
    partition(List.of(id));
  }

  /**
   * Cuts both directions between every member of {@code side} and every member not in it, all in one
   * turn of the proxy loop (no byte crosses the partition once this returns, nor while it runs).
   */
  void partition(Collection<String> side) {
    List<LinkProxy> crossing = new ArrayList<>();
    for (String a : side) {
      for (String b : ids) {
        if (!side.contains(b)) {
          crossing.add(proxy(a, b));
          crossing.add(proxy(b, a));
        }
      }
    }
    loop.call(() -> {
      crossing.forEach(LinkProxy::cut);
      return null;
    });
  }

  /** Heals every link. */
  void healAll() {
    proxies.values().forEach(LinkProxy::heal);
  }

  /** The proxy carrying {@code from}'s connections to {@code to}. */
  LinkProxy proxy(String from, String to) {
    LinkProxy p = proxies.get(from + ">" + to);
    if (p == null) {
      throw new IllegalArgumentException("no link " + from + " -> " + to);
    }
    return p;
  }

  /** Kills {@code id} with SIGKILL and waits for it to be gone. */
  void kill(String id) throws InterruptedException {
    Process p = processes.get(id);
    if (p != null) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  boolean isRunning(String id) {
    Process p = processes.get(id);
    return p != null && p.isAlive();
  }

  /** Starts {@code id} again from its data directory and waits until it printed READY. */
  void restart(String id) throws IOException, InterruptedException {
    if (isRunning(id)) {
      throw new IllegalStateException(id + " is still running");
    }
    launch(id);
  }

  /** Leader lines read at or after {@code sinceNanos}. */
  List<LeaderLine> leaderLinesSince(long sinceNanos) {
    List<LeaderLine> out = new ArrayList<>();
    for (LeaderLine l : leaderLines) {
      if (l.nanos() >= sinceNanos) {
        out.add(l);
      }
    }
    return out;
  }

  /** The number of different terms in which some node became leader at or after {@code sinceNanos}. */
  int leaderTermsSince(long sinceNanos) {
    return (int) leaderLinesSince(sinceNanos).stream().mapToLong(LeaderLine::term).distinct().count();
  }

  private void launch(String id) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-Dchronicle.analytics.disable=true");
    cmd.addAll(CHRONICLE_FLAGS);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.add("node");
    cmd.addAll(nodeArgs(id));
    Path logFile = dir.resolve(id + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    processes.put(id, p);
    CountDownLatch ready = new CountDownLatch(1);
    Thread pump = new Thread(() -> pump(id, p, logFile, ready), "out-" + id);
    pump.setDaemon(true);
    pump.start();
    if (!ready.await(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("node " + id + " did not print READY within 60 s (see " + logFile + ")");
    }
  }

  private void pump(String id, Process p, Path logFile, CountDownLatch ready) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        var w = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND)) {
      String line;
      while ((line = r.readLine()) != null) {
        long now = System.nanoTime();
        Matcher m = LEADER_LINE.matcher(line);
        if (m.find()) {
          leaderLines.add(new LeaderLine(now, m.group(1), Long.parseLong(m.group(2))));
        }
        if (line.startsWith("READY")) {
          ready.countDown();
        }
        w.write(line);
        w.newLine();
        w.flush();
      }
      if (!p.isAlive() && p.exitValue() != 137 && p.exitValue() != 0 && p.exitValue() != 143) {
        log.println("node " + id + " exited with code " + p.exitValue() + " (see " + logFile + ")");
        log.flush();
      }
    } catch (IOException e) {
      // the process is gone
    }
  }

  private List<String> nodeArgs(String id) {
    StringBuilder peers = new StringBuilder();
    for (String other : ids) {
      if (!other.equals(id)) {
        peers.append(peers.length() == 0 ? "" : ",").append(other).append("=127.0.0.1:")
            .append(proxy(id, other).address().getPort());
      }
    }
    List<String> args = new ArrayList<>(List.of("--id", id, "--listen", "127.0.0.1:" + peerPorts.get(id),
        "--client-listen", "127.0.0.1:" + clientEndpoints.get(id).getPort(), "--peers", peers.toString(),
        "--data-dir", dir.resolve(id).toString(), "--durability", "fsync"));
    args.addAll(extraFlags);
    return args;
  }


  @Override
  public void close() {
    for (Process p : processes.values()) {
      p.destroyForcibly();
    }
    for (Process p : processes.values()) {
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (LinkProxy p : proxies.values()) {
      try {
        p.close();
      } catch (RuntimeException e) {
        // the loop is going away anyway
      }
    }
    loop.close();
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException exiting) {
      // the hook is running or has run
    }
  }
}

package dev.raftflow.examples.kv;

import dev.raftflow.testkit.FreePorts;
import dev.raftflow.testkit.LinkProxy;
import dev.raftflow.testkit.ProxyLoop;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code kv server} processes on 127.0.0.1, each a JVM started from this module's test classpath
 * with Chronicle storage under fsync, and every directed member link i→j through its own {@link
 * LinkProxy} (member i's {@code --peers} names j at that proxy), so links can be cut per ordered
 * pair. A member's output goes to {@code <dir>/<id>.log}. Members can be killed (SIGKILL), paused
 * (SIGSTOP) and resumed (SIGCONT), and restarted from their data directory. Thread-safe; {@link
 * #close()} kills every member and closes the proxies.
 */
final class KvProcessCluster implements AutoCloseable {

  /** The JVM flags Chronicle Queue needs on Java 17+ outside kv.jar's manifest. */
  private static final List<String> CHRONICLE_FLAGS = List.of("--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
      "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
      "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
      "--add-opens=java.base/java.nio=ALL-UNNAMED");

  private final List<String> ids = new ArrayList<>();
  private final Path dir;
  private final List<String> extraFlags;
  private final Map<String, Integer> peerPorts = new LinkedHashMap<>();
  private final Map<String, InetSocketAddress> clientEndpoints = new LinkedHashMap<>();
  private final Map<String, LinkProxy> proxies = new LinkedHashMap<>(); // "i>j"
  private final Map<String, Process> processes = new ConcurrentHashMap<>();
  private final Map<String, Boolean> paused = new ConcurrentHashMap<>();
  private final ProxyLoop loop = new ProxyLoop();
  private final Thread killOnExit = new Thread(() -> processes.values().forEach(Process::destroyForcibly), "kill-kv");

  /**
   * Starts {@code n} members n1..nN with data and logs under {@code dir}, each with {@code
   * extraFlags} too, and waits until every one printed READY (members start in parallel).
   */
  KvProcessCluster(int n, Path dir, List<String> extraFlags) throws IOException, InterruptedException {
    if (n < 1) {
      throw new IllegalArgumentException("a cluster needs at least one member, was " + n);
    }
    this.dir = dir;
    this.extraFlags = List.copyOf(extraFlags);
    Files.createDirectories(dir);
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
      List<CountDownLatch> ready = new ArrayList<>();
      for (String id : ids) {
        ready.add(start(id));
      }
      for (int i = 0; i < ids.size(); i++) {
        awaitReady(ids.get(i), ready.get(i));
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      close();
      throw e;
    }
  }

  List<String> ids() {
    return List.copyOf(ids);
  }

  /** Member id → its client endpoint. */
  Map<String, InetSocketAddress> clientEndpoints() {
    return Map.copyOf(clientEndpoints);
  }

  /** Cuts every link from a member of {@code from} to a member of {@code to}, all in one turn of the proxy loop. */
  void cut(Collection<String> from, Collection<String> to) {
    List<LinkProxy> links = new ArrayList<>();
    for (String a : from) {
      for (String b : to) {
        if (!a.equals(b)) {
          links.add(proxy(a, b));
        }
      }
    }
    loop.call(() -> {
      links.forEach(LinkProxy::cut);
      return null;
    });
  }

  /** Heals every link. */
  void healLinks() {
    loop.call(() -> {
      proxies.values().forEach(LinkProxy::heal);
      return null;
    });
  }

  private LinkProxy proxy(String from, String to) {
    LinkProxy p = proxies.get(from + ">" + to);
    if (p == null) {
      throw new IllegalArgumentException("no link " + from + " -> " + to);
    }
    return p;
  }

  /** Kills {@code id} with SIGKILL (also when paused) and waits until it is gone. */
  void kill(String id) throws InterruptedException {
    Process p = processes.get(id);
    if (p != null) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      paused.remove(id);
    }
  }

  /** Sends SIGSTOP to {@code id}: it stays alive and silent until {@link #resume}. */
  void pause(String id) throws IOException, InterruptedException {
    signal(id, "STOP");
    paused.put(id, true);
  }

  /** Sends SIGCONT to {@code id}. */
  void resume(String id) throws IOException, InterruptedException {
    signal(id, "CONT");
    paused.remove(id);
  }

  private void signal(String id, String signal) throws IOException, InterruptedException {
    Process p = processes.get(id);
    if (p == null || !p.isAlive()) {
      throw new IllegalStateException(id + " is not running");
    }
    // ProcessHandle can only terminate; kill(1) sends the others
    Process k = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).redirectErrorStream(true).start();
    if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
      throw new IllegalStateException("kill -" + signal + " " + p.pid() + " failed: "
          + new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
    }
  }

  boolean isRunning(String id) {
    Process p = processes.get(id);
    return p != null && p.isAlive();
  }

  boolean isPaused(String id) {
    return paused.containsKey(id);
  }

  /** Starts {@code id} again from its data directory and waits until it printed READY. */
  void restart(String id) throws IOException, InterruptedException {
    if (isRunning(id)) {
      throw new IllegalStateException(id + " is still running");
    }
    awaitReady(id, start(id));
  }

  private CountDownLatch start(String id) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx192m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-Dchronicle.analytics.disable=true");
    cmd.addAll(CHRONICLE_FLAGS);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(KvCli.class.getName());
    cmd.add("server");
    cmd.addAll(serverArgs(id));
    Path logFile = dir.resolve(id + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    processes.put(id, p);
    CountDownLatch ready = new CountDownLatch(1);
    Thread pump = new Thread(() -> pump(p, logFile, ready), "out-" + id);
    pump.setDaemon(true);
    pump.start();
    return ready;
  }

  private void awaitReady(String id, CountDownLatch ready) throws InterruptedException {
    if (!ready.await(60, TimeUnit.SECONDS)) {
      processes.get(id).destroyForcibly();
      throw new IllegalStateException("member " + id + " did not print READY within 60 s (see "
          + dir.resolve(id + ".log") + ")");
    }
  }

  private static void pump(Process p, Path logFile, CountDownLatch ready) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        var w = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND)) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("READY")) {
          ready.countDown();
        }
        w.write(line);
        w.newLine();
        w.flush();
      }
      w.write("--- exited with " + p.waitFor());
      w.newLine();
    } catch (IOException e) {
      // the process is gone
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private List<String> serverArgs(String id) {
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
        // the loop goes away next
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

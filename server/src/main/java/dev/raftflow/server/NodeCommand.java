package dev.raftflow.server;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.Membership;
import dev.raftflow.engine.NodeState;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.spi.ForwardingLogStore;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.storage.chronicle.ChronicleLogStore;
import dev.raftflow.storage.chronicle.Durability;
import dev.raftflow.transport.rsocket.RSocketTransport;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code node}: one member per process, over RSocket with a Chronicle log, serving the client
 * protocol. Configured by flags or a properties file whose keys are the flags' names without dashes
 * (flags win; an unknown key is an error). Every value is checked before anything starts; a bad one
 * is reported in one line and exits 2. Prints {@code READY ...} once listening, one {@code STATE}
 * line per change of role, term or leader and one {@code MEMBERS} line per change of configuration,
 * each stamped {@code at=} (ISO-8601 UTC); stops on SIGTERM. With {@code --metrics-listen} it serves
 * its meters in the Prometheus text format over HTTP (docs/metrics.md) and names the address in
 * {@code READY} as {@code metrics=host:port}.
 *
 * <p>Secure by default: peers authenticate with a cluster secret ({@code --secret-file}), mutual
 * TLS ({@code --tls-*}) or both, and a node listening for peers on anything but loopback refuses to
 * start without one unless {@code --insecure}. A peer whose id is not a known member is refused
 * unless {@code --allow-joiners} (the trade-off is in the module README).
 *
 * <p>The state machine counts the commands it applies and keeps an {@link AddressBook}: the
 * address-book commands a client's MEMBER_ADD commits tell the transport where new members listen.
 * Snapshots hold the count and the book. A removed member stays in the transport's peers (it is
 * never sent to once out of the configuration, and its messages are the engine's to judge), so the
 * same id can be added again.
 *
 * <p><b>Extending.</b> A service with its own state machine (the KV example's {@code kv-server})
 * subclasses this command to take the same flags and startup: {@link #customize(RaftOptions)}
 * adjusts the options after the flags are checked, {@link #serve(RaftNode, InetSocketAddress)}
 * replaces the counter and the client endpoint. A subclass's own flags are flags only (a {@code
 * --config} file holds the keys above).
 */
@Command(name = "node", mixinStandardHelpOptions = true,
    description = "Run one member of a multi-process cluster.")
public class NodeCommand implements Callable<Integer> {

  /** The state machine snapshots its count and address book every this many entries. */
  static final long SNAPSHOT_EVERY = 50_000;

  /** The keys a {@code --config} file may hold. */
  static final Set<String> CONFIG_KEYS = Set.of("id", "listen", "client-listen", "peers", "data-dir", "durability",
      "cluster-id", "join", "allow-joiners", "insecure", "secret-file", "tls-cert", "tls-key", "tls-trust", "tick-ms",
      "heartbeat-ticks", "election-ticks", "check-quorum", "pre-vote", "metrics-listen", "log-entries-in-memory");

  /**
   * Runs {@code node} with these flags in this JVM and exits with its code: the server's own entry
   * point, for launching a member without {@code raftflow.jar} (which offers the same as {@code
   * raftflow.jar node ...}).
   */
  public static void main(String[] args) {
    System.setProperty("chronicle.analytics.disable", "true");
    System.exit(new CommandLine(new NodeCommand()).execute(args));
  }

  @Spec
  CommandSpec spec;

  @Option(names = "--config", description = "Properties file whose keys are the flags' names without dashes "
      + "(flags win; unknown keys are errors).")
  Path config;

  @Option(names = "--id", description = "This member's id.")
  String id;

  @Option(names = "--listen", description = "host:port for peer traffic (port 0 = any); also advertised to "
      + "peers unless the host is a wildcard (0.0.0.0, ::). Not loopback: needs --secret-file or --tls-*, "
      + "or --insecure.")
  String listen;

  @Option(names = "--client-listen", description = "host:port for the client protocol (default: 127.0.0.1:0). "
      + "The client protocol is not authenticated.")
  String clientListen;

  @Option(names = "--metrics-listen", description = "host:port to serve the node's meters at GET /metrics in the "
      + "Prometheus text format (port 0 = any; default: not served). Not authenticated: bind it where only your "
      + "monitoring reaches.")
  String metricsListen;

  @Option(names = "--peers", description = "The other members: id=host:port,...")
  String peers;

  @Option(names = "--data-dir", description = "Directory of this member's log.")
  Path dataDir;

  @Option(names = "--durability", description = "fsync (default) or os-cache.")
  String durability;

  @Option(names = "--cluster-id", description = "Peers of another cluster id are refused (default raftflow).")
  String clusterId;

  @Option(names = "--join", description = "Join a running group: --peers lists its current members; add this member "
      + "with 'client --add-member' (keep the flag on restarts; it is harmless once a member).")
  Boolean join;

  @Option(names = "--allow-joiners", description = "Accept peers whose id is not a known member yet (they must "
      + "still hold the cluster id, and the secret or certificate when set). Needed on a member that was down "
      + "while another was added, if that one may dial it first. Default off.")
  Boolean allowJoiners;

  @Option(names = "--insecure", description = "Allow peer traffic without a secret or TLS on a non-loopback --listen.")
  Boolean insecure;

  @Option(names = "--secret-file", description = "File holding the cluster secret (at least 16 bytes; a trailing "
      + "newline is ignored) every member proves at connection setup (HMAC-SHA256).")
  Path secretFile;

  @Option(names = "--tls-cert", description = "PEM certificate chain of this member (mutual TLS between peers); it must name "
      + "(subject alternative name) the host or IP peers dial it at.")
  Path tlsCert;

  @Option(names = "--tls-key", description = "PEM PKCS#8 private key of --tls-cert.")
  Path tlsKey;

  @Option(names = "--tls-trust", description = "PEM certificates trusted for peers' certificates.")
  Path tlsTrust;

  @Option(names = "--tick-ms", description = "Length of one tick of the Raft clock, ms (1..60000; default 10).")
  Integer tickMs;

  @Option(names = "--heartbeat-ticks", description = "Ticks between a leader's heartbeats (1..100000; default 10).")
  Integer heartbeatTicks;

  @Option(names = "--election-ticks", description = "Minimum election timeout in ticks, above --heartbeat-ticks "
      + "(2..1000000; default 50; the timeout is randomized up to twice this).")
  Integer electionTicks;

  @Option(names = "--check-quorum", arity = "1", paramLabel = "true|false",
      description = "A leader not hearing from a majority for an election timeout steps down (default true).")
  Boolean checkQuorum;

  @Option(names = "--pre-vote", arity = "1", paramLabel = "true|false",
      description = "Run a pre-vote before raising the term (default true).")
  Boolean preVote;

  @Option(names = "--log-entries-in-memory", paramLabel = "N", description = "Entries kept in memory beyond those "
      + "applied and durable; older ones are read back from the log when a follower needs them (default: all).")
  Integer logEntriesInMemory;

  @Option(names = "--record-commands", description = "Keep every applied command in memory so clients can READ it (tests).")
  boolean recordCommands;

  @Option(names = "--verbose", description = "Print stack traces with errors.")
  boolean verbose;

  @Option(names = "--groups", paramLabel = "N|ID,ID...", description = "Run groups in this process on one peer "
      + "connection per member and one log (multi-raft, docs/multi-raft.md): a count N (groups g0 ... g{N-1}) or a "
      + "comma-separated list of group ids; clients name their group (client --group). Members are fixed to --peers "
      + "in this mode. Default: one group, as without the flag.")
  String groups;

  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Clock clock;
  /** The running node and its transport, once started (for tests in this JVM). */
  private volatile RaftNode running;
  private volatile RSocketTransport runningTransport;
  /** The metrics endpoint while {@code --metrics-listen} serves; null otherwise. */
  private volatile MetricsEndpoint metrics;
  /** The address book of the running node (run's thread; read by the default {@link #serve}). */
  private AddressBook book;

  /**
   * What serves clients on a running node, from {@link #serve}: the address printed in {@code
   * READY}, closed (before the node) when the command stops.
   */
  public interface Serving extends AutoCloseable {
    /** Where clients connect. */
    InetSocketAddress address();

    /** Stops serving and releases the port; must not throw. */
    @Override
    void close();
  }

  public NodeCommand() {
    this(Clock.systemUTC());
  }

  NodeCommand(Clock clock) {
    this.clock = clock;
  }

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    try {
      return run(spec.commandLine().getOut(), err);
    } catch (Exception e) {
      return Failures.report(err, spec.name(), e, verbose); // "node", or a subclass's name
    } finally {
      stopped.countDown();
    }
  }

  /** The node, once started; null before. */
  RaftNode node() {
    return running;
  }

  /** The peer transport, once started; null before. */
  RSocketTransport transport() {
    return runningTransport;
  }

  /** The metrics endpoint, once started with {@code --metrics-listen}; null otherwise. */
  MetricsEndpoint metricsEndpoint() {
    return metrics;
  }

  /** Asks a running node to stop (as SIGTERM does) and waits until it has, at most 15 s. */
  protected void stop() throws InterruptedException {
    stopRequested.countDown();
    stopped.await(15, TimeUnit.SECONDS);
  }

  private int run(PrintWriter out, PrintWriter err) throws InterruptedException {
    ConfigFile cf = ConfigFile.load(config, CONFIG_KEYS);
    id = cf.text("id", id, null);
    listen = cf.text("listen", listen, null);
    String dir = cf.text("data-dir", dataDir == null ? null : dataDir.toString(), null);
    if (id == null || listen == null || dir == null) {
      throw new UsageException("node needs --id, --listen and --data-dir (or the same keys in --config)");
    }
    try {
      AddressBook.checkId(id);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--id: " + e.getMessage());
    }
    InetSocketAddress bind = HostPort.parse(listen, "--listen", true);
    InetSocketAddress clientBind = HostPort.parse(cf.text("client-listen", clientListen, "127.0.0.1:0"),
        "--client-listen", true);
    String metricsAt = cf.text("metrics-listen", metricsListen, null);
    InetSocketAddress metricsBind = metricsAt == null ? null : HostPort.parse(metricsAt, "--metrics-listen", true);
    Map<String, InetSocketAddress> peerMap = HostPort.members(cf.text("peers", peers, ""), "--peers");
    if (peerMap.containsKey(id)) {
      throw new UsageException("--peers: lists this member's own id '" + id + "'; list the other members");
    }
    Durability durable = switch (cf.text("durability", durability, "fsync")) {
      case "fsync" -> Durability.FSYNC;
      case "os-cache" -> Durability.OS_CACHE;
      default -> throw new UsageException(cf.name("durability") + " must be fsync or os-cache, was '"
          + cf.text("durability", durability, "fsync") + "'");
    };
    clusterId = cf.text("cluster-id", clusterId, "raftflow");
    boolean joining = cf.bool("join", join, false);
    boolean joiners = cf.bool("allow-joiners", allowJoiners, false);
    boolean unsafe = cf.bool("insecure", insecure, false);
    RaftOptions options = raftOptions(cf);
    try {
      options = customize(options);
    } catch (IllegalArgumentException e) {
      throw new UsageException("options: " + e.getMessage(), e);
    }
    if (joining && peerMap.isEmpty()) {
      throw new UsageException("--join needs --peers listing the group's current members");
    }
    PeerSecurity security = PeerSecurity.load(path(cf.text("secret-file", str(secretFile), null)),
        path(cf.text("tls-cert", str(tlsCert), null)), path(cf.text("tls-key", str(tlsKey), null)),
        path(cf.text("tls-trust", str(tlsTrust), null)));
    boolean loopback = PeerSecurity.isLoopback(bind.getHostString());
    if (!loopback && !security.authenticates()) {
      if (!unsafe) {
        throw new UsageException("--listen " + listen + " is reachable from other machines but peers are not "
            + "authenticated: give --secret-file FILE (the same secret on every member) and/or --tls-cert, "
            + "--tls-key and --tls-trust, or --insecure to run without (anyone who can reach the port can join)");
      }
      err.println("WARNING: node " + id + ": peer traffic on " + listen + " is not authenticated (--insecure)");
      err.flush();
    }

    if (groups != null) {
      if (joining || joiners) {
        throw new UsageException("--groups runs with the members of --peers: --join and --allow-joiners do not apply");
      }
      List<String> groupIds = GroupList.parse(groups);
      Thread hook = new Thread(() -> {
        try {
          stop();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "node-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        return GroupsNode.run(new GroupsNode.Settings(id, bind, clientBind, peerMap, Path.of(dir), durable, clusterId,
            security, options, groupIds, recordCommands), out, err, stopRequested);
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // the hook is what is stopping us
        }
      }
    }

    List<String> members = new ArrayList<>(); // a joining member is not among the group's voters yet
    if (!joining) {
      members.add(id);
    }
    members.addAll(peerMap.keySet());

    // With --allow-joiners, accept members we do not know yet: a member cut off while another was
    // added learns the new one's address only from the log, and if the new member leads, only it
    // can send that log. The new member's setup frame advertises its --listen address (the
    // transport's default: the bound address unless a wildcard), so our answers reach it before
    // that log entry is applied. Without it, such a member must be restarted with --peers naming
    // the new one.
    RSocketTransport.Builder tb = RSocketTransport.builder().clusterId(clusterId).nodeId(id)
        .bind(bind.getHostString(), bind.getPort()).acceptUnknownPeers(joiners);
    security.applyTo(tb);
    peerMap.forEach(tb::peer);
    RSocketTransport transport;
    try {
      transport = tb.start();
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot listen for peers on " + listen + ": " + Failures.describe(e), e);
    }
    ChronicleLogStore store;
    try {
      store = ChronicleLogStore.open(Path.of(dir), ChronicleLogStore.Options.defaults().withDurability(durable));
    } catch (RuntimeException e) {
      transport.close();
      throw e;
    }
    AddressBook addressBook = new AddressBook(id, transport::addPeer);
    RaftNode node = RaftNode.builder().id(id).members(members).joining(joining).transport(transport)
        .logStore(preloading(store, addressBook)).options(options).start();
    running = node;
    runningTransport = transport;

    book = addressBook;
    MetricsEndpoint metricsEndpoint = null;
    if (metricsBind != null) {
      try {
        metricsEndpoint = MetricsEndpoint.start(metricsBind, node, transport);
      } catch (RuntimeException e) {
        node.close();
        node.onClose().block(Duration.ofSeconds(10));
        throw new IllegalStateException("cannot serve metrics on " + HostPort.format(metricsBind) + ": "
            + Failures.describe(e), e);
      }
    }
    metrics = metricsEndpoint;
    Serving endpoint;
    try {
      endpoint = serve(node, clientBind);
    } catch (RuntimeException e) {
      if (metricsEndpoint != null) {
        metricsEndpoint.close();
      }
      node.close();
      node.onClose().block(Duration.ofSeconds(10));
      throw new IllegalStateException("cannot listen for clients on " + HostPort.format(clientBind) + ": "
          + Failures.describe(e), e);
    }
    out.printf("READY id=%s peer=%s client=%s%s members=%s peer-auth=%s joiners=%s%s%n", id,
        HostPort.format(transport.localAddress()), HostPort.format(endpoint.address()),
        metricsEndpoint == null ? "" : " metrics=" + HostPort.format(metricsEndpoint.address()), members,
        security.describe(), joiners ? "allowed" : "refused", joining ? " joining" : "");
    out.flush();

    Thread hook = new Thread(() -> {
      try {
        stop();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "node-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    StatusLines lines = new StatusLines(id, clock);
    try {
      while (!node.isClosed()) {
        print(out, lines.members(node.membership()));
        print(out, lines.state(node.state()));
        if (stopRequested.await(50, TimeUnit.MILLISECONDS)) {
          break;
        }
      }
    } finally {
      endpoint.close();
      if (metricsEndpoint != null) {
        metricsEndpoint.close();
      }
      node.close();
      node.onClose().block(Duration.ofSeconds(10));
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is what is stopping us
      }
    }
    if (stopRequested.getCount() > 0) {
      err.println("node " + id + ": stopped by itself (see the log above)");
      err.flush();
      return Failures.FAILED;
    }
    return 0;
  }

  /**
   * The options the node runs with, given those from the flags and file (already checked): this
   * command returns them as they are; a subclass may add its own. An {@link IllegalArgumentException}
   * is reported as a usage error.
   */
  protected RaftOptions customize(RaftOptions options) {
    return options;
  }

  /**
   * Starts the service on {@code node} (just started; nothing has taken its {@link
   * RaftNode#applied()} yet) and serves clients at {@code clientBind}. This command counts the
   * applied commands, keeps the address book and serves the {@link ClientEndpoint}; a subclass
   * replaces all of it. A failure is reported as "cannot listen for clients" after the node is closed.
   */
  protected Serving serve(RaftNode node, InetSocketAddress clientBind) {
    AddressBook book = this.book;
    AtomicLong commands = new AtomicLong();
    ConcurrentSkipListMap<Long, byte[]> recorded = new ConcurrentSkipListMap<>();
    node.applied().subscribe(ev -> {
      if (ev instanceof ApplyEvent.Entry e) {
        if (e.isCommand()) {
          if (AddressBook.isCommand(e.command())) {
            book.apply(e.command());
          } else {
            commands.incrementAndGet();
          }
          if (recordCommands) {
            recorded.put(e.index(), e.command());
          }
        }
        if (e.index() % SNAPSHOT_EVERY == 0 && !recordCommands) {
          byte[] addresses = book.encode();
          node.snapshot(e.index(), ByteBuffer.allocate(8 + addresses.length).putLong(commands.get()).put(addresses).array());
        }
      } else if (ev instanceof ApplyEvent.SnapshotInstalled s) {
        ByteBuffer b = ByteBuffer.wrap(s.data());
        commands.set(b.getLong());
        if (b.hasRemaining()) { // snapshots before the address book hold the count only
          book.restore(b);
        }
      }
    }, error -> System.err.println("apply stream ended: " + error));
    ClientEndpoint endpoint = ClientEndpoint.start(() -> node, recorded::get, clientBind.getHostString(),
        clientBind.getPort());
    return new Serving() {
      @Override
      public InetSocketAddress address() {
        return endpoint.address();
      }

      @Override
      public void close() {
        endpoint.close();
      }
    };
  }

  /** The timing options from flags and file, checked here so that a bad one stops the node before it starts. */
  private RaftOptions raftOptions(ConfigFile cf) {
    RaftOptions d = RaftOptions.defaults();
    int tick = cf.integer("tick-ms", tickMs, (int) d.tickInterval().toMillis(), 1, 60_000);
    int heartbeat = cf.integer("heartbeat-ticks", heartbeatTicks, d.heartbeatTicks(), 1, 100_000);
    int election = cf.integer("election-ticks", electionTicks, d.electionTicks(), 2, 1_000_000);
    if (election <= heartbeat) {
      throw new UsageException(cf.name("election-ticks") + " (" + election + ") must be greater than "
          + cf.name("heartbeat-ticks") + " (" + heartbeat + "): followers would start elections between heartbeats");
    }
    try {
      return d.toBuilder().tickInterval(Duration.ofMillis(tick)).heartbeatTicks(heartbeat).electionTicks(election)
          .checkQuorum(cf.bool("check-quorum", checkQuorum, d.checkQuorum()))
          .preVote(cf.bool("pre-vote", preVote, d.preVote()))
          .logEntriesInMemory(cf.integer("log-entries-in-memory", logEntriesInMemory, d.logEntriesInMemory(), 1,
              Integer.MAX_VALUE))
          .build();
    } catch (IllegalArgumentException e) {
      throw new UsageException("timing options: " + e.getMessage(), e);
    }
  }

  private static void print(PrintWriter out, String line) {
    if (line != null) {
      out.println(line);
      out.flush();
    }
  }

  private static String str(Path p) {
    return p == null ? null : p.toString();
  }

  private static Path path(String s) {
    return s == null ? null : Path.of(s);
  }

  /**
   * The members in {@code spec} ({@code id=host:port,...}).
   *
   * @throws UsageException on a malformed entry
   */
  static Map<String, InetSocketAddress> parsePeers(String spec) {
    return HostPort.members(spec, "--peers");
  }

  /**
   * {@code store}, whose recovered log hands the address-book commands past the snapshot to {@code
   * book} before the node starts (see {@link AddressBook#preload}).
   */
  private static LogStore preloading(LogStore store, AddressBook book) {
    return new ForwardingLogStore(store) {
      @Override
      public PersistentState load() {
        PersistentState recovered = delegate.load();
        book.preload(recovered);
        return recovered;
      }
    };
  }

}

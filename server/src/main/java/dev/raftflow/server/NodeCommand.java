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
import java.io.Reader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code node}: one member per process, over RSocket with a Chronicle log, serving the client
 * protocol. Configured by flags or a properties file with the same keys ({@code id}, {@code listen},
 * {@code client-listen}, {@code peers}, {@code data-dir}, {@code durability}, {@code cluster-id},
 * {@code join}). Prints {@code READY ...} once listening, one {@code STATE} line per change of role
 * or leader and one {@code MEMBERS} line per change of configuration; stops on SIGTERM.
 *
 * <p>The state machine counts the commands it applies and keeps an {@link AddressBook}: the
 * address-book commands a client's MEMBER_ADD commits tell the transport where new members listen.
 * Snapshots hold the count and the book. A removed member stays in the transport's peers (it is
 * never sent to once out of the configuration, and its messages are the engine's to judge), so the
 * same id can be added again.
 */
@Command(name = "node", mixinStandardHelpOptions = true,
    description = "Run one member of a multi-process cluster.")
public final class NodeCommand implements Callable<Integer> {

  /** The state machine snapshots its count and address book every this many entries. */
  static final long SNAPSHOT_EVERY = 50_000;

  /**
   * Runs {@code node} with these flags in this JVM and exits with its code: the server's own entry
   * point, for launching a member without {@code raftflow.jar} (which offers the same as {@code
   * raftflow.jar node ...}).
   */
  public static void main(String[] args) {
    System.setProperty("chronicle.analytics.disable", "true");
    System.exit(new CommandLine(new NodeCommand()).execute(args));
  }

  @Option(names = "--config", description = "Properties file with the same keys as the flags (flags win).")
  Path config;

  @Option(names = "--id", description = "This member's id.")
  String id;

  @Option(names = "--listen", description = "host:port for peer traffic (port 0 = any); also advertised to "
      + "peers unless the host is a wildcard (0.0.0.0, ::).")
  String listen;

  @Option(names = "--client-listen", description = "host:port for the client protocol (default: 127.0.0.1:0).")
  String clientListen;

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
  boolean join;

  @Option(names = "--record-commands", description = "Keep every applied command in memory so clients can READ it (tests).")
  boolean recordCommands;

  @Override
  public Integer call() throws Exception {
    Properties p = new Properties();
    if (config != null) {
      try (Reader r = Files.newBufferedReader(config)) {
        p.load(r);
      }
    }
    id = pick(id, p, "id", null);
    listen = pick(listen, p, "listen", null);
    clientListen = pick(clientListen, p, "client-listen", "127.0.0.1:0");
    peers = pick(peers, p, "peers", "");
    String dir = pick(dataDir == null ? null : dataDir.toString(), p, "data-dir", null);
    durability = pick(durability, p, "durability", "fsync");
    clusterId = pick(clusterId, p, "cluster-id", "raftflow");
    join = join || Boolean.parseBoolean(p.getProperty("join", "false"));
    if (id == null || listen == null || dir == null) {
      System.err.println("node needs --id, --listen and --data-dir (or the same keys in --config)");
      return 2;
    }
    Map<String, InetSocketAddress> peerMap = parsePeers(peers);
    if (join && peerMap.isEmpty()) {
      System.err.println("--join needs --peers listing the group's current members");
      return 2;
    }
    List<String> members = new ArrayList<>(); // a joining member is not among the group's voters yet
    if (!join) {
      members.add(id);
    }
    members.addAll(peerMap.keySet());
    InetSocketAddress bind = address(listen);

    // Accept members we do not know yet: a member cut off while another was added learns the new
    // one's address only from the log, and if the new member leads, only it can send that log.
    // The new member's setup frame advertises its --listen address (the transport's default: the
    // bound address unless a wildcard), so our answers reach it before that log entry is applied.
    // A member listening on a wildcard host advertises nothing and is not answered until then.
    RSocketTransport.Builder tb = RSocketTransport.builder().clusterId(clusterId).nodeId(id)
        .bind(bind.getHostString(), bind.getPort()).acceptUnknownPeers(true);
    peerMap.forEach(tb::peer);
    RSocketTransport transport = tb.start();
    ChronicleLogStore store = ChronicleLogStore.open(Path.of(dir), ChronicleLogStore.Options.defaults()
        .withDurability(durability.equals("os-cache") ? Durability.OS_CACHE : Durability.FSYNC));
    AddressBook book = new AddressBook(id, transport::addPeer);
    RaftNode node = RaftNode.builder().id(id).members(members).joining(join).transport(transport)
        .logStore(preloading(store, book)).options(RaftOptions.defaults()).start();

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
    InetSocketAddress clientBind = address(clientListen);
    ClientEndpoint endpoint = ClientEndpoint.start(() -> node, recorded::get, clientBind.getHostString(), clientBind.getPort());
    System.out.printf("READY id=%s peer=%s client=%s members=%s%s%n", id, hostPort(transport.localAddress()),
        hostPort(endpoint.address()), members, join ? " joining" : "");
    System.out.flush();

    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      endpoint.close();
      node.close();
      node.onClose().block(Duration.ofSeconds(10));
      stop.countDown();
    }));
    NodeState last = null;
    Membership lastMembership = null;
    while (stop.getCount() > 0 && !node.isClosed()) {
      Membership m = node.membership();
      if (!m.equals(lastMembership)) {
        System.out.printf("MEMBERS id=%s voters=%s outgoing=%s learners=%s%n", id, m.voters(), m.outgoingVoters(),
            m.learners());
        System.out.flush();
        lastMembership = m;
      }
      NodeState s = node.state();
      if (last == null || s.role() != last.role() || s.term() != last.term()
          || !java.util.Objects.equals(s.leaderId(), last.leaderId())) {
        System.out.printf("STATE id=%s term=%d role=%s leader=%s commit=%d%n", id, s.term(), s.role(), s.leaderId(),
            s.commitIndex());
        System.out.flush();
        last = s;
      }
      Thread.sleep(50);
    }
    stop.await();
    return 0;
  }

  private static String pick(String flag, Properties p, String key, String dflt) {
    return flag != null ? flag : p.getProperty(key, dflt);
  }

  static Map<String, InetSocketAddress> parsePeers(String spec) {
    Map<String, InetSocketAddress> out = new LinkedHashMap<>();
    if (spec == null || spec.isBlank()) {
      return out;
    }
    for (String part : spec.split(",")) {
      String[] kv = part.trim().split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("peer '" + part + "' is not id=host:port");
      }
      out.put(kv[0], address(kv[1]));
    }
    return out;
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

  static InetSocketAddress address(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("'" + hostPort + "' is not host:port");
    }
    return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }

  static String hostPort(InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }

}

package dev.raftflow.bench;

import dev.raftflow.bench.remote.ClientEndpoint;
import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.NodeState;
import dev.raftflow.engine.RaftNode;
import dev.raftflow.engine.RaftOptions;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code node}: one member per process, over RSocket with a Chronicle log, serving the client
 * protocol. Configured by flags or a properties file with the same keys ({@code id}, {@code listen},
 * {@code client-listen}, {@code peers}, {@code data-dir}, {@code durability}, {@code cluster-id}).
 * Prints {@code READY ...} once listening and one line per change of role or leader; stops on
 * SIGTERM.
 */
@Command(name = "node", mixinStandardHelpOptions = true,
    description = "Run one member of a multi-process cluster.")
final class NodeCommand implements Callable<Integer> {

  @Option(names = "--config", description = "Properties file with the same keys as the flags (flags win).")
  Path config;

  @Option(names = "--id", description = "This member's id.")
  String id;

  @Option(names = "--listen", description = "host:port for peer traffic (port 0 = any).")
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
    if (id == null || listen == null || dir == null) {
      System.err.println("node needs --id, --listen and --data-dir (or the same keys in --config)");
      return 2;
    }
    Map<String, InetSocketAddress> peerMap = parsePeers(peers);
    List<String> members = new ArrayList<>();
    members.add(id);
    members.addAll(peerMap.keySet());
    InetSocketAddress bind = address(listen);

    RSocketTransport.Builder tb = RSocketTransport.builder().clusterId(clusterId).nodeId(id)
        .bind(bind.getHostString(), bind.getPort());
    peerMap.forEach(tb::peer);
    RSocketTransport transport = tb.start();
    ChronicleLogStore store = ChronicleLogStore.open(Path.of(dir), ChronicleLogStore.Options.defaults()
        .withDurability(durability.equals("os-cache") ? Durability.OS_CACHE : Durability.FSYNC));
    RaftNode node = RaftNode.builder().id(id).members(members).transport(transport).logStore(store)
        .options(RaftOptions.defaults()).start();

    AtomicLong commands = new AtomicLong();
    ConcurrentSkipListMap<Long, byte[]> recorded = new ConcurrentSkipListMap<>();
    node.applied().subscribe(ev -> {
      if (ev instanceof ApplyEvent.Entry e) {
        if (!e.noop()) {
          commands.incrementAndGet();
          if (recordCommands) {
            recorded.put(e.index(), e.command());
          }
        }
        if (e.index() % LocalCluster.SNAPSHOT_EVERY == 0 && !recordCommands) {
          node.snapshot(e.index(), ByteBuffer.allocate(8).putLong(commands.get()).array());
        }
      } else if (ev instanceof ApplyEvent.SnapshotInstalled s) {
        commands.set(ByteBuffer.wrap(s.data()).getLong());
      }
    }, error -> System.err.println("apply stream ended: " + error));
    InetSocketAddress clientBind = address(clientListen);
    ClientEndpoint endpoint = ClientEndpoint.start(() -> node, recorded::get, clientBind.getHostString(), clientBind.getPort());
    System.out.printf("READY id=%s peer=%s client=%s members=%s%n", id, hostPort(transport.localAddress()),
        hostPort(endpoint.address()), members);
    System.out.flush();

    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      endpoint.close();
      node.close();
      node.onClose().block(Duration.ofSeconds(10));
      stop.countDown();
    }));
    NodeState last = null;
    while (stop.getCount() > 0 && !node.isClosed()) {
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

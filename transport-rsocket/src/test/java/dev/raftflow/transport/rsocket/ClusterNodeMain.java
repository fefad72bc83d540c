package dev.raftflow.transport.rsocket;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.NodeState;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One raftflow node in its own JVM, for {@link MultiProcessTest}: {@code ClusterNodeMain <id>
 * <id=port,id=port,...>}. Reads commands on stdin ({@code propose <value>}, {@code exit}) and
 * reports on stdout, one line each: {@code state <role> <term>}, {@code applied <index> <value>},
 * {@code committed <value> <index>}, {@code failed <value> <error>}.
 *
 * <p>Its log is in memory: a node killed with -9 restarts empty and catches up from the leader.
 */
public final class ClusterNodeMain {

  private ClusterNodeMain() {}

  public static void main(String[] args) throws Exception {
    String id = args[0];
    Map<String, Integer> ports = new TreeMap<>();
    for (String p : args[1].split(",")) {
      String[] kv = p.split("=");
      ports.put(kv[0], Integer.parseInt(kv[1]));
    }
    List<String> members = new ArrayList<>(ports.keySet());
    RSocketTransport transport = RSocketTransport.builder().clusterId("multi-process").nodeId(id)
        .bind("127.0.0.1", ports.get(id)).peers(members).start();
    ports.forEach((peer, port) -> {
      if (!peer.equals(id)) {
        transport.peerAddress(peer, new InetSocketAddress("127.0.0.1", port));
      }
    });
    RaftNode node = RaftNode.builder().id(id).members(members).transport(transport).logStore(new MemoryLogStore())
        .options(RaftOptions.builder().electionTicks(20).build()).start();
    node.applied().subscribe(ev -> {
      if (ev instanceof ApplyEvent.Entry e && e.isCommand()) {
        say("applied " + e.index() + " " + new String(e.command(), StandardCharsets.UTF_8));
      }
    });
    Thread watcher = new Thread(() -> {
      String last = "";
      while (!node.isClosed()) {
        NodeState s = node.state();
        String now = "state " + s.role() + " " + s.term();
        if (!now.equals(last)) {
          say(now);
          last = now;
        }
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "state-watcher");
    watcher.setDaemon(true);
    watcher.start();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith("propose ")) {
        String value = line.substring(8);
        node.submit(value.getBytes(StandardCharsets.UTF_8)).subscribe(
            pos -> say("committed " + value + " " + pos.index()),
            err -> say("failed " + value + " " + err.getClass().getSimpleName()));
      } else if (line.equals("exit")) {
        break;
      }
    }
    node.close();
    System.exit(0);
  }

  private static synchronized void say(String s) {
    System.out.println(s);
    System.out.flush();
  }
}

package dev.raftflow.bench;

import dev.raftflow.bench.remote.RemoteClient;
import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.NodeState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code client}: talks to running {@code node}s: propose a command, or print every member's state. */
@Command(name = "client", mixinStandardHelpOptions = true,
    description = "Propose to, read from, or move the leadership of a cluster of 'node' processes.")
final class ClientCommand implements Callable<Integer> {

  @Option(names = "--endpoints", required = true, description = "Client endpoints: id=host:port,...")
  String endpoints;

  @Option(names = "--propose", description = "A command (UTF-8 text) to propose; prints its index and term once applied.")
  String propose;

  @Option(names = "--state", description = "Print every member's term, role, leader and indexes.")
  boolean state;

  @Option(names = "--read-index", description = "Print a linearizable read point from the leader.")
  boolean readIndex;

  @Option(names = "--transfer-to", description = "Hand leadership to this member id.")
  String transferTo;

  @Override
  public Integer call() {
    var map = NodeCommand.parsePeers(endpoints);
    try (RemoteClient client = new RemoteClient(map)) {
      if (propose != null) {
        byte[] cmd = propose.getBytes(StandardCharsets.UTF_8);
        for (int attempt = 0; attempt < 2 * map.size() + 2; attempt++) {
          try {
            LogPosition pos = client.propose(cmd).block(Duration.ofSeconds(5));
            System.out.printf("committed index=%d term=%d via %s%n", pos.index(), pos.term(), client.leaderHint());
            return 0;
          } catch (RuntimeException e) {
            System.err.println("retrying: " + e.getMessage());
          }
        }
        return 1;
      }
      if (state) {
        for (String id : map.keySet()) {
          try {
            NodeState s = client.state(id).block(Duration.ofSeconds(3));
            System.out.printf("%s term=%d role=%s leader=%s commit=%d applied=%d last=%d%n", id, s.term(), s.role(),
                s.leaderId(), s.commitIndex(), s.appliedIndex(), s.lastIndex());
          } catch (RuntimeException e) {
            System.out.printf("%s unreachable: %s%n", id, e.getMessage());
          }
        }
        return 0;
      }
      if (readIndex || transferTo != null) {
        String leader = findLeader(client, map.keySet());
        if (leader == null) {
          System.err.println("no member says it leads");
          return 1;
        }
        if (readIndex) {
          long index = client.readIndex(leader).block(Duration.ofSeconds(5));
          System.out.printf("read index=%d via %s%n", index, leader);
        } else {
          client.transferLeadership(leader, transferTo).block(Duration.ofSeconds(10));
          System.out.printf("leadership moved from %s to %s%n", leader, transferTo);
        }
        return 0;
      }
      System.err.println("say --propose TEXT, --state, --read-index or --transfer-to ID");
      return 2;
    }
  }

  private static String findLeader(RemoteClient client, Iterable<String> ids) {
    for (String id : ids) {
      try {
        if (client.state(id).block(Duration.ofSeconds(3)).isLeader()) {
          return id;
        }
      } catch (RuntimeException e) {
        // unreachable: ask the next
      }
    }
    return null;
  }
}

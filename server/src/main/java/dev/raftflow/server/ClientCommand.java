package dev.raftflow.server;

import dev.raftflow.client.Membership;
import dev.raftflow.client.NodeStatus;
import dev.raftflow.client.NotLeaderException;
import dev.raftflow.client.Position;
import dev.raftflow.client.RemoteClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code client}: talks to running {@code node}s: propose a command, print every member's state,
 * read a linearizable read point, move the leadership, or change or show the membership. Exits
 * non-zero on failure.
 */
@Command(name = "client", mixinStandardHelpOptions = true,
    description = "Propose to, read from, move the leadership of, or change the members of a cluster of 'node' processes.")
public final class ClientCommand implements Callable<Integer> {

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

  @Option(names = "--add-member", description = "Add a member: id=host:port (where it listens for peers), as a voter "
      + "unless --learner. Start it first with 'node --join'.")
  String addMember;

  @Option(names = "--learner", description = "With --add-member: add it as a learner (promote it later with --add-member again).")
  boolean learner;

  @Option(names = "--remove-member", description = "Remove this member id.")
  String removeMember;

  @Option(names = "--membership", description = "Print the voters, outgoing voters and learners (as the leader, else the first endpoint, sees them).")
  boolean membership;

  @Override
  public Integer call() {
    var map = NodeCommand.parsePeers(endpoints);
    try (RemoteClient client = new RemoteClient(map)) {
      if (propose != null) {
        byte[] cmd = propose.getBytes(StandardCharsets.UTF_8);
        for (int attempt = 0; attempt < 2 * map.size() + 2; attempt++) {
          try {
            Position pos = client.propose(cmd).block(Duration.ofSeconds(5));
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
            NodeStatus s = client.state(id).block(Duration.ofSeconds(3));
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
      if (addMember != null || removeMember != null || membership) {
        return changeMembership(client, map.keySet());
      }
      System.err.println("say --propose TEXT, --state, --read-index, --transfer-to ID, --add-member ID=HOST:PORT, "
          + "--remove-member ID or --membership");
      return 2;
    }
  }

  private int changeMembership(RemoteClient client, Set<String> ids) {
    String[] added = addMember == null ? null : addMember.split("=", 2);
    if (added != null && added.length != 2) {
      System.err.println("--add-member takes id=host:port");
      return 2;
    }
    RuntimeException last = null;
    for (int attempt = 0; attempt < 5; attempt++) { // no leader yet, or it changed under us: ask again
      if (attempt > 0) {
        pause(300);
      }
      String leader = findLeader(client, ids);
      if (leader == null && !membership) {
        last = new IllegalStateException("no member says it leads");
        continue;
      }
      try {
        if (membership) {
          String from = leader != null ? leader : ids.iterator().next();
          System.out.printf("membership via %s: %s%n", from, format(client.membership(from).block(Duration.ofSeconds(5))));
        } else if (added != null) {
          Membership m = client.addMember(leader, added[0], added[1], learner).block(Duration.ofSeconds(30));
          System.out.printf("added %s as %s via %s: %s%n", added[0], learner ? "learner" : "voter", leader, format(m));
        } else {
          Membership m = client.removeMember(leader, removeMember).block(Duration.ofSeconds(30));
          System.out.printf("removed %s via %s: %s%n", removeMember, leader, format(m));
        }
        return 0;
      } catch (NotLeaderException e) {
        last = e;
      } catch (RuntimeException e) {
        last = e;
        break; // refused (e.g. another change under way) or unreachable: say so
      }
    }
    System.err.println("failed: " + last.getMessage());
    return 1;
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String format(Membership m) {
    return "voters=" + m.voters() + " outgoing=" + m.outgoingVoters() + " learners=" + m.learners();
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

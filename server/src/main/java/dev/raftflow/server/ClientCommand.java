package dev.raftflow.server;

import dev.raftflow.client.Membership;
import dev.raftflow.client.NodeStatus;
import dev.raftflow.client.NotLeaderException;
import dev.raftflow.client.Position;
import dev.raftflow.client.RemoteClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code client}: talks to running {@code node}s: propose a command, print every member's state,
 * read a linearizable read point, move the leadership, or change or show the membership. Exits 0 on
 * success, 1 when the work failed (nothing answered, the change was refused, a member named is not
 * one), 2 on bad input (reported in one line; {@code --verbose} adds the stack trace) and, for
 * {@code --state}, 3 when some members answered and others did not.
 */
@Command(name = "client", mixinStandardHelpOptions = true,
    description = "Propose to, read from, move the leadership of, or change the members of a cluster of 'node' processes.")
public final class ClientCommand implements Callable<Integer> {

  /** The exit code of {@code --state} when some members answered and some did not. */
  static final int SOME_UNREACHABLE = 3;

  @Spec
  CommandSpec spec;

  /** Where {@code --propose-file -} reads from (replaceable in tests). */
  InputStream stdin = System.in;

  @Option(names = "--endpoints", required = true, description = "Client endpoints: id=host:port,...")
  String endpoints;

  @Option(names = "--group", description = "The group to talk to, on members that host several (node --groups).")
  String group;

  @Option(names = "--propose", description = "A command (UTF-8 text) to propose; prints its index and term once applied.")
  String propose;

  @Option(names = "--propose-file", paramLabel = "FILE", description = "Propose each non-blank line of FILE "
      + "('-': standard input) as one command, in order; stops at the first that fails.")
  String proposeFile;

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

  @Option(names = "--force", description = "With --add-member of a voter: add it even when the leader refuses it as "
      + "unsafe (not caught up, or the new voters without a quorum the leader hears).")
  boolean force;

  @Option(names = "--remove-member", description = "Remove this member id.")
  String removeMember;

  @Option(names = "--membership", description = "Print the voters, outgoing voters and learners (as the leader, else the first endpoint, sees them).")
  boolean membership;

  @Option(names = "--verbose", description = "Print stack traces with errors.")
  boolean verbose;

  private PrintWriter out;
  private PrintWriter err;

  @Override
  public Integer call() {
    out = spec.commandLine().getOut();
    err = spec.commandLine().getErr();
    try {
      return run();
    } catch (Exception e) {
      return Failures.report(err, "client", e, verbose);
    } finally {
      out.flush();
      err.flush();
    }
  }

  private int run() throws IOException {
    var map = HostPort.members(endpoints, "--endpoints");
    if (map.isEmpty()) {
      throw new UsageException("--endpoints: no endpoint given (id=host:port,...)");
    }
    List<String> commands = proposeFile != null ? readCommands(proposeFile) : null;
    if (group != null && group.isEmpty()) {
      throw new UsageException("--group must not be empty");
    }
    try (RemoteClient client = new RemoteClient(map, group)) {
      if (propose != null || commands != null) {
        for (String command : propose != null ? List.of(propose) : commands) {
          if (!proposeOne(client, map.size(), command)) {
            return Failures.FAILED;
          }
        }
        return 0;
      }
      if (state) {
        int answered = 0;
        for (String id : map.keySet()) {
          try {
            NodeStatus s = client.state(id).block(Duration.ofSeconds(3));
            out.printf("%s term=%d role=%s leader=%s commit=%d applied=%d last=%d%n", id, s.term(), s.role(),
                s.leaderId(), s.commitIndex(), s.appliedIndex(), s.lastIndex());
            answered++;
          } catch (RuntimeException e) {
            out.printf("%s unreachable: %s%n", id, Failures.describe(e));
          }
        }
        if (answered == 0) {
          err.println("client: no member answered at " + endpoints);
          return Failures.FAILED;
        }
        return answered == map.size() ? 0 : SOME_UNREACHABLE;
      }
      if (readIndex || transferTo != null) {
        String leader = findLeader(client, map.keySet());
        if (leader == null) {
          err.println("client: no member says it leads");
          return Failures.FAILED;
        }
        if (readIndex) {
          long index = client.readIndex(leader).block(Duration.ofSeconds(5));
          out.printf("read index=%d via %s%n", index, leader);
        } else {
          Membership m = client.membership(leader).block(Duration.ofSeconds(5));
          if (!m.voters().contains(transferTo)) {
            err.printf("client: cannot transfer the leadership to '%s': not a voter (%s)%n", transferTo, format(m));
            return Failures.FAILED;
          }
          client.transferLeadership(leader, transferTo).block(Duration.ofSeconds(10));
          out.printf("leadership moved from %s to %s%n", leader, transferTo);
        }
        return 0;
      }
      if (addMember != null || removeMember != null || membership) {
        return changeMembership(client, map.keySet());
      }
      throw new UsageException("say --propose TEXT, --propose-file FILE, --state, --read-index, --transfer-to ID, "
          + "--add-member ID=HOST:PORT, --remove-member ID or --membership");
    }
  }

  /** Proposes {@code command} (asking again while the leadership moves); false when it never committed. */
  private boolean proposeOne(RemoteClient client, int members, String command) {
    byte[] cmd = command.getBytes(StandardCharsets.UTF_8);
    RuntimeException last = null;
    for (int attempt = 0; attempt < 2 * members + 2; attempt++) {
      try {
        Position pos = client.propose(cmd).block(Duration.ofSeconds(5));
        out.printf("committed index=%d term=%d via %s%n", pos.index(), pos.term(), client.leaderHint());
        out.flush();
        return true;
      } catch (RuntimeException e) {
        last = e;
        err.println("retrying: " + Failures.describe(e));
      }
    }
    err.println("client: could not commit '" + command + "': " + Failures.describe(last));
    return false;
  }

  /** The non-blank lines of {@code source} ('-': standard input), each one command. */
  private List<String> readCommands(String source) throws IOException {
    List<String> lines = new ArrayList<>();
    BufferedReader r;
    if (source.equals("-")) {
      r = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
    } else {
      Path file = Path.of(source);
      if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
        throw new UsageException("--propose-file: " + file + " is not a readable file");
      }
      r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
    }
    try (r) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (!line.isBlank()) {
          lines.add(line);
        }
      }
    }
    if (lines.isEmpty()) {
      throw new UsageException("--propose-file " + source + ": no command in it (one per line)");
    }
    return lines;
  }

  private int changeMembership(RemoteClient client, Set<String> ids) {
    String[] added = addMember == null ? null : addMember.split("=", 2);
    if (added != null && added.length != 2) {
      throw new UsageException("--add-member takes id=host:port, was '" + addMember + "'");
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
          out.printf("membership via %s: %s%n", from, format(client.membership(from).block(Duration.ofSeconds(5))));
        } else if (added != null) {
          Membership m = client.addMember(leader, added[0], added[1], learner, force).block(Duration.ofSeconds(30));
          out.printf("added %s as %s via %s: %s%n", added[0], learner ? "learner" : "voter", leader, format(m));
        } else {
          Membership before = client.membership(leader).block(Duration.ofSeconds(5));
          if (!isMember(before, removeMember)) {
            err.printf("client: cannot remove '%s': not a member (%s)%n", removeMember, format(before));
            return Failures.FAILED;
          }
          Membership m = client.removeMember(leader, removeMember).block(Duration.ofSeconds(30));
          out.printf("removed %s via %s: %s%n", removeMember, leader, format(m));
        }
        return 0;
      } catch (NotLeaderException e) {
        last = e;
      } catch (RuntimeException e) {
        last = e;
        break; // refused (e.g. another change under way) or unreachable: say so
      }
    }
    err.println("client: failed: " + Failures.describe(last));
    return Failures.FAILED;
  }

  private static boolean isMember(Membership m, String id) {
    return m.voters().contains(id) || m.outgoingVoters().contains(id) || m.learners().contains(id);
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

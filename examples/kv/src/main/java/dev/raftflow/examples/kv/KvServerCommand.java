package dev.raftflow.examples.kv;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.session.ExactlyOnceService;
import dev.raftflow.engine.session.SessionSettings;
import dev.raftflow.server.NodeCommand;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kv server}: one member of a KV cluster. Takes every flag of the {@code node} command (peers,
 * security, timing, data directory, {@code --config}) and prints the same {@code READY}, {@code
 * STATE} and {@code MEMBERS} lines; instead of node's counter it runs a {@link KvStateMachine}
 * through the engine's exactly-once layer (sessions, snapshots of the map and the session table every
 * {@code --snapshot-every} entries) and serves writes and reads on the client port ({@link
 * KvEndpoint}). Stops on SIGTERM.
 *
 * <p>Membership changes work as for {@code node}, except that the address a new member's MEMBER_ADD
 * writes to the log is not applied by the KV service: restart the other members with {@code --peers}
 * naming it (or let it dial them first with {@code --allow-joiners}).
 */
@Command(name = "server", description = "Run one member of a KV cluster: the node command's flags, plus the ones below.")
public class KvServerCommand extends NodeCommand {

  @Option(names = "--lease-reads", description = "Serve reads on the leader under a lease, without a heartbeat "
      + "round (safe while clocks drift less than the bound; needs --check-quorum true, the default).")
  boolean leaseReads;

  @Option(names = "--follower-reads", description = "Let followers serve reads: they ask the leader for a read "
      + "index, then answer once they applied it.")
  boolean followerReads;

  @Option(names = "--snapshot-every", defaultValue = "10000",
      description = "Snapshot the map and the session table every this many entries (0: never; default ${DEFAULT-VALUE}).")
  int snapshotEvery;

  @Option(names = "--session-timeout-ms", defaultValue = "60000",
      description = "Log time after which a silent client session expires (default ${DEFAULT-VALUE}); the same on every member.")
  long sessionTimeoutMs;

  private final CountDownLatch served = new CountDownLatch(1);
  private volatile KvStateMachine kv;
  private volatile ExactlyOnceService sessions;

  @Override
  protected RaftOptions customize(RaftOptions options) {
    if (snapshotEvery < 0) {
      throw new IllegalArgumentException("--snapshot-every must be 0 or more, was " + snapshotEvery);
    }
    if (sessionTimeoutMs <= 0) {
      throw new IllegalArgumentException("--session-timeout-ms must be positive, was " + sessionTimeoutMs);
    }
    if (leaseReads && !options.checkQuorum()) {
      throw new IllegalArgumentException("--lease-reads needs --check-quorum true");
    }
    return options.toBuilder().leaseReads(leaseReads).followerReads(followerReads).build();
  }

  @Override
  protected Serving serve(RaftNode node, InetSocketAddress clientBind) {
    KvStateMachine map = new KvStateMachine();
    ExactlyOnceService layer = ExactlyOnceService.start(node, map, SessionSettings.defaults()
        .withSnapshotEvery(snapshotEvery).withSessionTimeout(Duration.ofMillis(sessionTimeoutMs)));
    KvEndpoint endpoint;
    try {
      endpoint = KvEndpoint.start(node, layer, map, clientBind.getHostString(), clientBind.getPort());
    } catch (RuntimeException e) {
      layer.close();
      throw e;
    }
    kv = map;
    sessions = layer;
    served.countDown();
    return new Serving() {
      @Override
      public InetSocketAddress address() {
        return endpoint.address();
      }

      @Override
      public void close() {
        endpoint.close();
        layer.close();
      }
    };
  }

  /** The member's map once serving (null before); for tests in this JVM. */
  KvStateMachine map() {
    return kv;
  }

  /** The exactly-once layer once serving (null before); for tests in this JVM. */
  ExactlyOnceService sessions() {
    return sessions;
  }

  /** Waits until the member serves clients; whether it does. */
  boolean awaitServing(Duration timeout) throws InterruptedException {
    return served.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Stops the member (as SIGTERM does) and waits until it has. */
  void shutdown() throws InterruptedException {
    stop();
  }
}

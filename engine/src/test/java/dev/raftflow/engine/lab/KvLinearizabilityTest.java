package dev.raftflow.engine.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.lab.KvHistory.Kind;
import dev.raftflow.engine.lab.KvHistory.Op;
import dev.raftflow.engine.sim.SimThread;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A replicated key-value store on raftflow (writes through the log, reads through {@code
 * readIndex()} without touching the log) used by concurrent clients while the lab's unreliable
 * churn partitions, crashes and restarts servers; the clients' history must be linearizable.
 *
 * <p>The service state at a read index is the fold of the committed log up to it, taken from the
 * harness's record of what was applied (which the harness checks is the same on every server).
 */
public class KvLinearizabilityTest extends LabTestBase {

  private static final int SERVERS = 5;
  private static final int CLIENTS = 4;
  private static final long OP_LIMIT_MS = 2_000;

  /**
   * Without CheckQuorum a leader cut off from the majority goes on believing it leads until it
   * hears a newer term: the hardest case for reads, so the test turns it off.
   */
  @Override
  protected RaftOptions options() {
    return LabOptions.raftOptions().toBuilder().checkQuorum(false).build();
  }

  @Test
  public void historyIsLinearizableUnderUnreliableChurn() {
    try (LabCluster cfg = make(SERVERS, true, false)) {
      cfg.begin("key-value history under unreliable churn is linearizable");
      KvHistory history = new KvHistory();
      boolean[] stop = {false};
      List<SimThread> clients = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        int me = c;
        clients.add(cfg.go("kv-client-" + me, () -> client(cfg, me, history, stop)));
      }
      for (int iters = 0; iters < 12; iters++) {
        cfg.churnRound();
        cfg.sleep(700);
      }
      cfg.setUnreliable(false);
      cfg.restartAndConnectAll();
      cfg.sleep(2_000); // the clients run on against a healed group
      stop[0] = true;
      for (SimThread t : clients) {
        t.join(30_000);
      }
      String problem = history.check();
      assertThat(problem).as("linearizability of %d operations", history.size()).isNull();
      assertThat(history.size()).as("operations completed").isGreaterThan(50);
      System.out.printf("kv: %d operations, linearizable%n", history.size());
      afterRun(cfg);
      cfg.end();
    }
  }

  /** More checks of a subclass, on the cluster as the run left it. */
  protected void afterRun(LabCluster cfg) {}

  /** Whether reads may go to any server (follower reads), not only to those that claim to lead. */
  protected boolean readsFromAnyServer() {
    return false;
  }

  private void client(LabCluster cfg, int me, KvHistory history, boolean[] stop) {
    int n = 0;
    int server = me % SERVERS;
    while (!stop[0]) {
      String key = "k" + cfg.randInt() % 3;
      int dice = cfg.randInt() % 10;
      Kind kind = dice < 4 ? Kind.GET : dice < 6 ? Kind.PUT : Kind.APPEND;
      String value = (kind == Kind.PUT ? "p" : "a") + me + "." + (n++) + ";";
      Op op = null;
      server = cfg.randInt() % SERVERS; // any server that claims to lead, stale leaders included
      for (int attempt = 0; attempt < SERVERS && op == null && !stop[0]; attempt++, server = (server + 1) % SERVERS) {
        if (!cfg.isAlive(server) || !(cfg.state(server).isLeader() || (kind == Kind.GET && readsFromAnyServer()))) {
          continue;
        }
        op = kind == Kind.GET ? get(cfg, me, server, key) : write(cfg, me, server, kind, key, value);
      }
      if (op != null) {
        history.add(op);
      }
      cfg.sleep(op == null ? 50 : 5 + cfg.randInt() % 20);
    }
  }

  /** A write through the log: known once its entry is applied, unknown if that is never seen. */
  private static Op write(LabCluster cfg, int me, int server, Kind kind, String key, String value) {
    String cmd = (kind == Kind.PUT ? "P|" : "A|") + key + "|" + value;
    long call = cfg.simulation().nowMillis();
    LabCluster.StartResult r = cfg.start(server, cmd);
    if (!r.isLeader()) {
      return null; // refused: it never entered a log
    }
    for (long waited = 0; waited < OP_LIMIT_MS; waited += 10) {
      LabCluster.Committed c = cfg.nCommitted(r.index());
      if (c.count() > 0) {
        return cmd.equals(c.command()) ? new Op(me, kind, key, value, null, call, cfg.simulation().nowMillis())
            : null; // another entry took its index: it never takes effect
      }
      cfg.sleep(10);
    }
    return new Op(me, kind, key, value, null, call, Long.MAX_VALUE);
  }

  /** A read through readIndex(): the state of the key once the read index is applied. */
  private static Op get(LabCluster cfg, int me, int server, String key) {
    long call = cfg.simulation().nowMillis();
    CompletableFuture<Long> read = cfg.readIndex(server);
    if (!cfg.settle(read, OP_LIMIT_MS) || read.isCompletedExceptionally()) {
      return null; // no answer: a read has no effect, so it simply leaves the history
    }
    long at = read.join();
    String state = "";
    String prefix = "|" + key + "|";
    for (long i = 1; i <= at; i++) {
      LabCluster.Committed c = cfg.nCommitted(i);
      assertThat(c.count()).as("index %d at or below the read index %d was applied", i, at).isPositive();
      if (c.command() instanceof String s && s.startsWith(prefix, 1)) {
        String v = s.substring(1 + prefix.length());
        state = s.charAt(0) == 'P' ? v : state + v;
      }
    }
    return new Op(me, Kind.GET, key, null, state, call, cfg.simulation().nowMillis());
  }
}

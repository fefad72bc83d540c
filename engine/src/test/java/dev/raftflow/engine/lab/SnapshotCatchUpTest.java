package dev.raftflow.engine.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.sim.SimThread;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A follower that comes back far behind while clients keep writing and every server snapshots every
 * ten entries, and whose snapshots travel slowly (16-byte chunks, one in flight, over the lab's
 * unreliable network: delays up to 26 ms, some messages lost): each transfer outlasts the leader's
 * snapshot interval. With the entries the leader keeps behind its snapshot for it
 * (snapshotCatchUpEntries) it catches up (on this test's seed and on 10 other seed offsets tried).
 * Without them (snapshotCatchUpEntries 0) it may be sent snapshot after snapshot: it did not catch
 * up within the 20 s on this test's seed, nor on 2 of 10 other seed offsets.
 */
public class SnapshotCatchUpTest extends LabTestBase {

  private static final RaftOptions SLOW_SNAPSHOTS =
      LabOptions.raftOptions().toBuilder().snapshotChunkBytes(16).maxInflightMessages(1).build();

  @Override
  protected RaftOptions options() {
    return SLOW_SNAPSHOTS;
  }

  @Test
  public void aFollowerFarBehindCatchesUpWhileClientsWrite() {
    assertThat(catchUp("a follower catches up through slow snapshots under load"))
        .as("the lagging follower applied an entry written after it came back, within 20 s").isTrue();
  }

  /** Whether the lagging follower applied an entry written after it came back, within 20 s. */
  private boolean catchUp(String name) {
    int servers = 3;
    try (LabCluster cfg = make(servers, true, true)) {
      cfg.begin(name);
      cfg.one(cfg.randInt(), servers, true);
      int leader = cfg.checkOneLeader();
      int lagging = (leader + 1) % servers;
      cfg.disconnect(lagging);
      for (int i = 0; i < 150; i++) {
        cfg.one(cfg.randInt(), servers - 1, true);
      }
      AtomicBoolean stop = new AtomicBoolean();
      SimThread writer = cfg.go("writer", () -> {
        while (!stop.get()) {
          for (int s = 0; s < servers; s++) {
            if (cfg.isAlive(s)) {
              cfg.start(s, cfg.randInt()); // only the leader takes it
            }
          }
          cfg.sleep(20); // 50 commands a second: a snapshot every 200 ms
        }
      });
      cfg.connect(lagging);
      long target = cfg.one(cfg.randInt(), servers - 1, true) + 100;
      boolean caughtUp = false;
      for (int t = 0; t < 200 && !caughtUp; t++) {
        cfg.sleep(100);
        caughtUp = cfg.hasApplied(lagging, target);
      }
      stop.set(true);
      writer.join(10_000);
      cfg.end();
      return caughtUp;
    }
  }
}

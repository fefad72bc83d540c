package dev.raftflow.engine.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.testkit.MeteredLogStore;
import java.util.concurrent.CompletableFuture;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves the lab harness can fail: scenarios run against deliberately broken persisters or
 * options must fail with the lab's messages; and a seed replays a run exactly.
 */
class LabHarnessTest {

  /** A persister that forgets everything when the server crashes. */
  static final class AmnesiacHandle implements StoreHandle {
    private final MeteredLogStore store = new MeteredLogStore(new MemoryLogStore());

    @Override
    public LogStore store() {
      return store;
    }

    @Override
    public StoreHandle copy() {
      return new AmnesiacHandle();
    }

    @Override
    public long raftStateSize() {
      return store.meter().raftStateSize();
    }

    @Override
    public byte[] snapshotData() {
      return null;
    }
  }

  /** A persister whose store drops the snapshot from every write, so its log is never compacted. */
  static final class NeverCompactingHandle implements StoreHandle {
    private final MeteredLogStore metered = new MeteredLogStore(new MemoryLogStore());
    private final LogStore store = new LogStore() {
      @Override
      public PersistentState load() {
        return metered.load();
      }

      @Override
      public CompletableFuture<Void> write(LogWrite w) {
        return metered.write(new LogWrite(w.hardState(), null, w.entries(), w.lastIndex(), w.lastTerm()));
      }

      @Override
      public void close() {}
    };

    @Override
    public LogStore store() {
      return store;
    }

    @Override
    public StoreHandle copy() {
      throw new UnsupportedOperationException("used where no server crashes");
    }

    @Override
    public long raftStateSize() {
      return metered.meter().raftStateSize();
    }

    @Override
    public byte[] snapshotData() {
      return null;
    }
  }

  @Test
  void aStoreThatNeverCompactsFailsTheLogSizeCheck() {
    Lab2DTest t = new Lab2DTest() {
      @Override
      protected PersisterFactory persisters() {
        return id -> new NeverCompactingHandle();
      }
    };
    assertThatThrownBy(t::SnapshotBasic2D).isInstanceOf(AssertionError.class)
        .hasMessageContaining("Log size too large");
  }

  @Test
  void amnesiaAfterACrashIsCaughtByTheApplierChecks() {
    Lab2CTest plain = new Lab2CTest() {
      @Override
      protected PersisterFactory persisters() {
        return id -> new AmnesiacHandle();
      }
    };
    assertThatThrownBy(plain::Persist12C).isInstanceOf(AssertionError.class)
        .hasMessageContaining("apply error: commit index=1");
    Lab2DTest snap = new Lab2DTest() {
      @Override
      protected PersisterFactory persisters() {
        return id -> new AmnesiacHandle();
      }
    };
    assertThatThrownBy(snap::SnapshotAllCrash2D).isInstanceOf(AssertionError.class)
        .hasMessageContaining("apply error");
  }

  @Test
  void tooFrequentHeartbeatsFailTheRpcCount() {
    Lab2BTest t = new Lab2BTest() {
      @Override
      protected RaftOptions options() {
        return LabOptions.raftOptions().toBuilder().heartbeatTicks(2).build();
      }
    };
    assertThatThrownBy(t::Count2B).isInstanceOf(AssertionError.class).hasMessageContaining("too many");
  }

  @Test
  void tooSlowElectionsFailCheckOneLeader() {
    Lab2ATest t = new Lab2ATest() {
      @Override
      protected RaftOptions options() {
        return LabOptions.raftOptions().toBuilder().electionTicks(600).build();
      }
    };
    assertThatThrownBy(t::InitialElection2A).isInstanceOf(AssertionError.class)
        .hasMessageContaining("expected one leader, got none");
  }

  @Test
  void oneWithoutRetryFailsWhenNoMajorityIsConnected() {
    try (LabCluster cfg = LabCluster.builder().seed(5).servers(3).build()) {
      int leader = cfg.checkOneLeader();
      cfg.disconnect((leader + 1) % 3);
      cfg.disconnect((leader + 2) % 3);
      assertThatThrownBy(() -> cfg.one(7, 2, false)).hasMessageContaining("one(7) failed to reach agreement");
    }
  }

  @Test
  void aSeedReplaysTheSameRun() {
    List<Long> a = run(77);
    assertThat(run(77)).isEqualTo(a);
    assertThat(run(78)).isNotEqualTo(a);
  }

  /** A small unreliable scenario with crashes; returns figures that differ at the least deviation. */
  private static List<Long> run(long seed) {
    try (LabCluster cfg = LabCluster.builder().seed(seed).servers(5).unreliable(true).snapshots(true).build()) {
      List<Long> out = new ArrayList<>();
      for (int i = 0; i < 25; i++) {
        out.add(cfg.one(cfg.randInt(), 3, true));
        if (i % 6 == 5) {
          int victim = cfg.randInt() % 5;
          cfg.crash1(victim);
          cfg.one(cfg.randInt(), 3, true);
          cfg.start1(victim);
          cfg.connect(victim);
        }
      }
      out.addAll(Arrays.asList(cfg.simulation().nowMillis(), cfg.rpcTotal(), cfg.bytesTotal(),
          cfg.simulation().eventsRun(), cfg.logSize()));
      return out;
    }
  }

  @Test
  void commandsAndSnapshotsRoundTrip() {
    assertThat(LabCommand.decode(LabCommand.encode(-42))).isEqualTo(-42);
    assertThat(LabCommand.decode(LabCommand.encode("héllo"))).isEqualTo("héllo");
    assertThat(LabCommand.decode(LabCommand.encode(null))).isNull();
    assertThatThrownBy(() -> LabCommand.decode(new byte[] {'x'})).isInstanceOf(IllegalArgumentException.class);
    List<Object> cmds = Arrays.asList(null, 5, "six", 7);
    LabSnapshot s = LabSnapshot.decode(new LabSnapshot(3, cmds).encode());
    assertThat(s.lastIncludedIndex()).isEqualTo(3);
    assertThat(s.commands()).containsExactly(null, 5, "six", 7);
    byte[] bytes = new LabSnapshot(3, cmds).encode();
    assertThatThrownBy(() -> LabSnapshot.decode(Arrays.copyOf(bytes, bytes.length - 1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void seedsDeriveFromTheTestNameAndAreStable() {
    assertThat(LabSeed.derive("Backup2B")).isEqualTo(LabSeed.derive("Backup2B")).isNotEqualTo(LabSeed.derive("Count2B"))
        .isNotNegative();
  }
}

package dev.raftflow.engine.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class SimThreadTest {

  @Test
  void threadsInterleaveOnTheVirtualClock() {
    try (Simulation sim = new Simulation(1)) {
      List<String> trace = new ArrayList<>();
      SimThread a = sim.spawn("a", () -> {
        for (int i = 0; i < 3; i++) {
          trace.add("a" + i + "@" + sim.nowMillis());
          sim.sleep(30);
        }
      });
      SimThread b = sim.spawn("b", () -> {
        for (int i = 0; i < 3; i++) {
          trace.add("b" + i + "@" + sim.nowMillis());
          sim.sleep(20);
        }
      });
      a.join(1_000);
      b.join(1_000);
      assertThat(trace).containsExactly("a0@0", "b0@0", "b1@20", "a1@30", "b2@40", "a2@60");
      assertThat(sim.nowMillis()).isEqualTo(90);
      assertThat(a.isFinished()).isTrue();
    }
  }

  @Test
  void awaitResumesWhenTheFutureCompletesWithoutOvershooting() {
    try (Simulation sim = new Simulation(1)) {
      CompletableFuture<String> f = new CompletableFuture<>();
      sim.schedule(50, () -> f.complete("done"));
      List<String> seen = new ArrayList<>();
      SimThread t = sim.spawn("waiter", () -> seen.add(sim.await(f, 1_000) + "@" + sim.nowMillis()));
      t.join(1_000);
      assertThat(seen).containsExactly("done@50");
      assertThat(sim.nowMillis()).isEqualTo(50);
      CompletableFuture<String> g = new CompletableFuture<>();
      sim.schedule(7, () -> g.complete("main"));
      assertThat(sim.await(g, 100)).isEqualTo("main");
      assertThat(sim.nowMillis()).isEqualTo(57);
    }
  }

  @Test
  void awaitTimesOutInVirtualTime() {
    try (Simulation sim = new Simulation(1)) {
      assertThatThrownBy(() -> sim.await(new CompletableFuture<>(), 200))
          .isInstanceOf(SimulationFailure.class).hasMessageContaining("pending");
      assertThat(sim.nowMillis()).isEqualTo(200);
    }
  }

  @Test
  void failureInAThreadFailsTheDriver() {
    try (Simulation sim = new Simulation(3)) {
      sim.spawn("bad", () -> {
        sim.sleep(10);
        throw new AssertionError("client failed");
      });
      assertThatThrownBy(() -> sim.sleep(100))
          .isInstanceOf(SimulationFailure.class)
          .hasMessageContaining("client failed");
      assertThat(sim.nowMillis()).isEqualTo(10);
    }
  }

  @Test
  void closeKillsParkedThreads() throws Exception {
    List<Thread> javaThreads = new ArrayList<>();
    List<String> after = new ArrayList<>();
    try (Simulation sim = new Simulation(1)) {
      SimThread t = sim.spawn("sleeper", () -> {
        javaThreads.add(Thread.currentThread());
        sim.sleep(1_000_000);
        after.add("woke");
      });
      sim.sleep(1);
      assertThat(t.isFinished()).isFalse();
    }
    assertThat(javaThreads).hasSize(1);
    javaThreads.get(0).join(5_000);
    assertThat(javaThreads.get(0).isAlive()).isFalse();
    assertThat(after).isEmpty();
  }

  @Test
  void sameSeedSameInterleaving() {
    assertThat(randomTrace(42)).isEqualTo(randomTrace(42)).isNotEqualTo(randomTrace(43));
  }

  private static List<String> randomTrace(long seed) {
    List<String> trace = new ArrayList<>();
    try (Simulation sim = new Simulation(seed)) {
      List<SimThread> ts = new ArrayList<>();
      for (int k = 0; k < 4; k++) {
        int me = k;
        ts.add(sim.spawn("t" + k, () -> {
          for (int i = 0; i < 20; i++) {
            sim.sleep(sim.random().nextInt(50));
            trace.add(me + ":" + sim.nowMillis());
          }
        }));
      }
      for (SimThread t : ts) {
        t.join(100_000);
      }
    }
    return trace;
  }
}

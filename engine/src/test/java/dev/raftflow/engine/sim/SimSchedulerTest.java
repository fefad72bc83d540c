package dev.raftflow.engine.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

class SimSchedulerTest {

  @Test
  void runsTasksByVirtualTimeThenSchedulingOrder() {
    try (Simulation sim = new Simulation(1)) {
      SimScheduler s = sim.scheduler();
      List<String> order = new ArrayList<>();
      s.schedule(() -> order.add("c@30"), 30, TimeUnit.MILLISECONDS);
      s.schedule(() -> order.add("a@10"), 10, TimeUnit.MILLISECONDS);
      s.schedule(() -> order.add("b@10"), 10, TimeUnit.MILLISECONDS);
      s.schedule(() -> order.add("now"));
      s.schedule(() -> order.add("late@31"), 31, TimeUnit.MILLISECONDS);
      sim.sleep(30);
      assertThat(order).containsExactly("now", "a@10", "b@10", "c@30");
      assertThat(s.now(TimeUnit.MILLISECONDS)).isEqualTo(30);
      sim.sleep(1);
      assertThat(order).endsWith("late@31");
    }
  }

  @Test
  void disposedTaskNeverRuns() {
    try (Simulation sim = new Simulation(1)) {
      List<String> ran = new ArrayList<>();
      Disposable d = sim.scheduler().schedule(() -> ran.add("x"), 5, TimeUnit.MILLISECONDS);
      sim.scheduler().schedule(() -> ran.add("y"), 6, TimeUnit.MILLISECONDS);
      d.dispose();
      sim.sleep(10);
      assertThat(ran).containsExactly("y");
      assertThat(d.isDisposed()).isTrue();
    }
  }

  @Test
  void periodicTaskRunsAtFixedRateUntilDisposed() {
    try (Simulation sim = new Simulation(1)) {
      List<Long> at = new ArrayList<>();
      Disposable d = sim.scheduler().schedulePeriodically(() -> at.add(sim.nowMillis()), 5, 10, TimeUnit.MILLISECONDS);
      sim.sleep(40);
      d.dispose();
      sim.sleep(100);
      assertThat(at).containsExactly(5L, 15L, 25L, 35L);
    }
  }

  @Test
  void disposingWorkerCancelsItsTasksAndRejectsNewOnes() {
    try (Simulation sim = new Simulation(1)) {
      Scheduler.Worker w = sim.scheduler().createWorker();
      Scheduler.Worker other = sim.scheduler().createWorker();
      List<String> ran = new ArrayList<>();
      w.schedule(() -> ran.add("once"), 20, TimeUnit.MILLISECONDS);
      w.schedulePeriodically(() -> ran.add("tick"), 10, 10, TimeUnit.MILLISECONDS);
      other.schedule(() -> ran.add("other"), 20, TimeUnit.MILLISECONDS);
      sim.sleep(15);
      w.dispose();
      sim.sleep(100);
      assertThat(ran).containsExactly("tick", "other");
      assertThat(w.isDisposed()).isTrue();
      assertThatThrownBy(() -> w.schedule(() -> {})).isInstanceOf(RejectedExecutionException.class);
    }
  }

  @Test
  void taskThatThrowsFailsTheRun() {
    try (Simulation sim = new Simulation(7)) {
      sim.scheduler().schedule(() -> {
        throw new IllegalStateException("boom");
      }, 3, TimeUnit.MILLISECONDS);
      assertThatThrownBy(() -> sim.sleep(10))
          .isInstanceOf(SimulationFailure.class)
          .hasMessageContaining("boom")
          .hasMessageContaining("seed=7");
    }
  }

  @Test
  void schedulingFromAForeignThreadFailsTheRun() throws Exception {
    try (Simulation sim = new Simulation(1)) {
      Thread t = new Thread(() -> {
        try {
          sim.scheduler().schedule(() -> {});
        } catch (IllegalStateException expected) {
          // also recorded as the simulation's failure
        }
      });
      t.start();
      t.join();
      assertThatThrownBy(() -> sim.sleep(1)).isInstanceOf(SimulationFailure.class).hasMessageContaining("foreign thread");
    }
  }
}

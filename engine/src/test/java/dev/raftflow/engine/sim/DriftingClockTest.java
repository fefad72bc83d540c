package dev.raftflow.engine.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Scheduler;

class DriftingClockTest {

  @Test
  void aFastClockRunsAheadAndItsDelaysPassSooner() {
    try (Simulation sim = new Simulation(1)) {
      DriftingClock fast = new DriftingClock(sim);
      fast.setRate(2.0);
      List<Long> at = new ArrayList<>();
      Scheduler.Worker w = fast.scheduler().createWorker();
      w.schedule(() -> at.add(sim.nowMillis()), 100, TimeUnit.MILLISECONDS);
      w.schedule(() -> at.add(-sim.nowMillis()));
      sim.sleep(100);
      assertThat(at).containsExactly(-0L, 50L);
      assertThat(fast.nanos().getAsLong()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
      assertThat(fast.scheduler().now(TimeUnit.MILLISECONDS)).isEqualTo(200);
    }
  }

  @Test
  void aRateChangeKeepsTheLocalTimeContinuous() {
    try (Simulation sim = new Simulation(1)) {
      DriftingClock c = new DriftingClock(sim);
      sim.sleep(100);
      c.setRate(0.5);
      assertThat(c.nanos().getAsLong()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
      sim.sleep(100);
      assertThat(c.nanos().getAsLong()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(150));
      List<Long> at = new ArrayList<>();
      c.scheduler().schedule(() -> at.add(sim.nowMillis()), 10, TimeUnit.MILLISECONDS);
      sim.sleep(30);
      assertThat(at).containsExactly(220L);
    }
  }

  @Test
  void rejectsARateThatIsNotPositive() {
    try (Simulation sim = new Simulation(1)) {
      DriftingClock c = new DriftingClock(sim);
      assertThatThrownBy(() -> c.setRate(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
      assertThatThrownBy(() -> c.setRate(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
  }
}

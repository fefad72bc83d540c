package dev.raftflow.engine.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogWrite;
import java.util.List;
import org.junit.jupiter.api.Test;

class DurabilityGateTest {

  private static final Message M1 = new RequestVote(1, "a", "b", 0, 0);
  private static final Message M2 = new RequestVote(1, "a", "c", 0, 0);

  @Test
  void writesAreNumberedAndHeldMessagesLeaveOnceTheWritesTheyWaitForAreDurable() {
    DurabilityGate g = new DurabilityGate();
    LogWrite vote = g.issue(new LogWrite(new HardState(1, "a"), null, List.of(), 0, 0));
    LogWrite entries = g.issue(new LogWrite(null, null, List.of(), 3, 1));
    assertThat(vote.seq()).isEqualTo(1);
    assertThat(entries.seq()).isEqualTo(2);
    assertThat(g.termOrVotePending()).isTrue();
    g.holdBehindPending(List.of(M1, M2));
    assertThat(g.acknowledge(1)).extracting(DurabilityGate.Pending::seq).containsExactly(1L);
    assertThat(g.termOrVotePending()).isFalse();
    assertThat(g.takeReleased()).as("held behind write 2 too").isEmpty();
    g.acknowledge(2);
    assertThat(g.takeReleased()).containsExactly(M1, M2);
    assertThat(g.takeReleased()).isEmpty();
    assertThat(g.acknowledge(2)).as("acknowledged twice: nothing more").isEmpty();
    assertThatThrownBy(() -> g.acknowledge(3)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aWriteNotAcknowledgedInTimeIsReportedOnce() {
    DurabilityGate g = new DurabilityGate();
    assertThat(g.tick(3)).as("nothing pending").isZero();
    g.issue(new LogWrite(null, null, List.of(), 1, 1));
    assertThat(g.tick(3)).isZero();
    assertThat(g.tick(3)).isZero();
    assertThat(g.tick(3)).isEqualTo(1);
    assertThat(g.tick(3)).as("once").isZero();
    g.acknowledge(1);
    assertThat(g.oldestPending()).isZero();
  }
}

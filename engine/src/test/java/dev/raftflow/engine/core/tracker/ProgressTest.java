package dev.raftflow.engine.core.tracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.spi.Snapshot;
import org.junit.jupiter.api.Test;

/** A follower's progress keeps its own invariants through its transitions. */
class ProgressTest {

  @Test
  void theWindowIsBoundedInMessagesAndInBytesAndFreesInOrder() {
    Inflights w = new Inflights(3, 100);
    w.add(5, 40);
    w.add(7, 40);
    assertThat(w.full()).isFalse();
    w.add(9, 40);
    assertThat(w.full()).as("3 messages").isTrue();
    assertThatThrownBy(() -> w.add(10, 1)).isInstanceOf(IllegalStateException.class);
    w.freeTo(7);
    assertThat(w.count()).isEqualTo(1);
    assertThat(w.bytes()).isEqualTo(40);
    Inflights bytes = new Inflights(10, 100);
    bytes.add(1, 60);
    bytes.add(2, 60);
    assertThat(bytes.full()).as("over 100 bytes").isTrue();
    assertThatThrownBy(() -> new Inflights(0, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aProbeFindsTheMatchThenEntriesArePipelinedWithinTheWindow() {
    Progress p = new Progress("b", 11, 2, Long.MAX_VALUE);
    assertThat(p.state()).isEqualTo(Progress.State.PROBE);
    p.sentProbe();
    assertThat(p.probeSent()).isTrue();
    assertThat(p.isCurrentRejection(10)).as("the answer to the probe after 10").isTrue();
    assertThat(p.isCurrentRejection(7)).as("an older probe's answer").isFalse();
    p.appendRejected(6);
    assertThat(p.next()).isEqualTo(6);
    assertThat(p.probeSent()).as("the next probe may go").isFalse();
    assertThat(p.updateMatch(5)).isTrue();
    p.appendAccepted(5);
    assertThat(p.state()).isEqualTo(Progress.State.REPLICATE);
    assertThat(p.next()).isEqualTo(6);
    p.sentEntries(8, 30);
    p.sentEntries(10, 30);
    assertThat(p.next()).isEqualTo(11);
    assertThat(p.windowFull()).isTrue();
    p.updateMatch(8);
    p.appendAccepted(8);
    assertThat(p.windowFull()).isFalse();
    assertThat(p.isCurrentRejection(8)).as("at or below the match: stale").isFalse();
    p.appendRejected(9);
    assertThat(p.state()).as("a current rejection falls back to probing").isEqualTo(Progress.State.PROBE);
    assertThat(p.next()).isEqualTo(9);
    assertThat(p.inflights().count()).isZero();
  }

  @Test
  void aSnapshotTransferEndsOnceTheFollowerHoldsItAndItCatchesUpFromTheLog() {
    Progress p = new Progress("c", 1, 4, Long.MAX_VALUE);
    p.becomeSnapshot(new Snapshot(20, 2, new byte[8]));
    assertThat(p.state()).isEqualTo(Progress.State.SNAPSHOT);
    assertThat(p.transfer().index()).isEqualTo(20);
    assertThat(p.isCurrentRejection(25)).as("no rejection moves a transfer").isFalse();
    p.updateMatch(20);
    p.snapshotInstalled(20);
    assertThat(p.state()).isEqualTo(Progress.State.PROBE);
    assertThat(p.next()).isEqualTo(21);
    assertThat(p.catchingUp()).isTrue();
    assertThat(p.transfer().snapshot()).as("no transfer outside SNAPSHOT").isNull();
    p.snapshotTaken(30); // it is past 20: it gets until the next snapshot
    assertThat(p.catchUpMark()).isEqualTo(30);
    p.snapshotTaken(40); // still at 20 < 30: not gaining
    assertThat(p.catchingUp()).isFalse();
  }

  @Test
  void aFollowerIsHeardFromUntilItFallsSilentForTheGivenTicks() {
    Progress p = new Progress("b", 1, 1, Long.MAX_VALUE);
    assertThat(p.heardWithin(10)).as("never answered").isFalse();
    p.markActive();
    for (int i = 0; i < 9; i++) {
      p.ticked();
    }
    assertThat(p.heardWithin(10)).isTrue();
    p.ticked();
    assertThat(p.heardWithin(10)).isFalse();
    assertThat(p.takeActive()).as("CheckQuorum's mark").isTrue();
    assertThat(p.takeActive()).isFalse();
  }
}

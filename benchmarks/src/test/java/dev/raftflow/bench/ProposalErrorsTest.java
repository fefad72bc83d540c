package dev.raftflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** Failed proposals are counted by the type of what failed them, wrappers unwrapped, with a reason. */
class ProposalErrorsTest {

  @Test
  void countsByTypeWithTheFirstMessage() {
    ProposalErrors e = new ProposalErrors();
    e.record(new IllegalArgumentException("command of 2000000 bytes, at most 1048576"));
    e.record(new CompletionException(new IllegalArgumentException("another message")));
    e.record(new IllegalStateException());
    ProposalErrors.Snapshot s = e.snapshot();
    assertThat(s.total()).isEqualTo(3).isEqualTo(e.total());
    assertThat(s.byType()).containsEntry("IllegalArgumentException", 2L).containsEntry("IllegalStateException", 1L);
    assertThat(s.describe()).isEqualTo(
        "3 (2 IllegalArgumentException: command of 2000000 bytes, at most 1048576; 1 IllegalStateException)");
  }

  @Test
  void aSnapshotDoesNotMoveWithLaterErrors() {
    ProposalErrors e = new ProposalErrors();
    e.record(new RuntimeException("x"));
    ProposalErrors.Snapshot s = e.snapshot();
    e.record(new RuntimeException("y"));
    assertThat(s.total()).isEqualTo(1);
    assertThat(s.describe()).isEqualTo("1 (1 RuntimeException: x)");
    assertThat(new ProposalErrors().snapshot().describe()).isEqualTo("0");
  }
}

package dev.raftflow.engine;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.codec.MessageSizes;
import org.junit.jupiter.api.Test;

/** {@link MessageSizes#requireFit}: the options a node sends with against a transport's message limit. */
class RaftOptionsMessageFitTest {

  private static final RaftOptions DEFAULTS = RaftOptions.defaults();

  @Test
  void theDefaultsFitTwoMebibytesAndAnUnlimitedTransport() {
    assertThatCode(() -> MessageSizes.requireFit(DEFAULTS, 2 << 20)).doesNotThrowAnyException();
    assertThatCode(() -> MessageSizes.requireFit(DEFAULTS, Integer.MAX_VALUE)).doesNotThrowAnyException();
  }

  @Test
  void aLimitExactlyAtTheWorstCaseFitsAndOneByteLessDoesNot() {
    RaftOptions o = DEFAULTS.toBuilder().maxCommandBytes(1000).snapshotChunkBytes(1000).build();
    int worst = (int) MessageSizes.maxAppendEntriesBytes(o.maxEntriesPerMessage(), o.maxBytesPerMessage());
    assertThatCode(() -> MessageSizes.requireFit(o, worst)).doesNotThrowAnyException();
    assertThatThrownBy(() -> MessageSizes.requireFit(o, worst - 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxBytesPerMessage (1048576)")
        .hasMessageContaining("maxEntriesPerMessage (512)")
        .hasMessageContaining("at most " + (o.maxBytesPerMessage() - 1));
  }

  @Test
  void namesMaxCommandBytesWhenOneEntryCannotFit() {
    RaftOptions o = DEFAULTS.toBuilder().maxBytesPerMessage(1000).maxEntriesPerMessage(8).maxCommandBytes(1 << 20)
        .snapshotChunkBytes(1000).build();
    assertThatThrownBy(() -> MessageSizes.requireFit(o, 512 << 10)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxCommandBytes (1048576)").hasMessageContaining("lower maxCommandBytes to at most");
  }

  @Test
  void namesSnapshotChunkBytesWhenAChunkCannotFit() {
    RaftOptions o = DEFAULTS.toBuilder().maxBytesPerMessage(1000).maxEntriesPerMessage(8).maxCommandBytes(1000)
        .snapshotChunkBytes(1 << 20).build();
    assertThatThrownBy(() -> MessageSizes.requireFit(o, 512 << 10)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("snapshotChunkBytes (1048576)").hasMessageContaining("lower snapshotChunkBytes to at most");
  }

  @Test
  void saysWhenTheTransportIsTooSmallForAnyOptions() {
    RaftOptions tiny = DEFAULTS.toBuilder().maxBytesPerMessage(10).maxEntriesPerMessage(1).maxCommandBytes(10)
        .snapshotChunkBytes(10).build();
    assertThatThrownBy(() -> MessageSizes.requireFit(tiny, 4094)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most 4094 bytes").hasMessageContaining("raise the transport's message limit");
  }

  @Test
  void theSuggestedValueFits() {
    RaftOptions o = DEFAULTS.toBuilder().maxBytesPerMessage(1 << 20).build();
    int limit = 600_000;
    long room = limit - MessageSizes.maxAppendEntriesBytes(o.maxEntriesPerMessage(), 0);
    RaftOptions fixed = o.toBuilder().maxBytesPerMessage((int) room).maxCommandBytes(100_000)
        .snapshotChunkBytes(100_000).build();
    assertThatCode(() -> MessageSizes.requireFit(fixed, limit)).doesNotThrowAnyException();
  }
}

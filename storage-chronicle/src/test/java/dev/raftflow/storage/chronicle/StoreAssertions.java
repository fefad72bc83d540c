package dev.raftflow.storage.chronicle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.PersistentState;
import java.util.List;

/** Field-by-field comparison of recovered state (records compare byte arrays by reference). */
final class StoreAssertions {
  private StoreAssertions() {}

  static void assertSameState(PersistentState actual, PersistentState expected, String context) {
    assertThat(actual.hardState()).as(context + ": hard state").isEqualTo(expected.hardState());
    if (expected.snapshot() == null) {
      assertThat(actual.snapshot()).as(context + ": snapshot").isNull();
    } else {
      assertThat(actual.snapshot()).as(context + ": snapshot").isNotNull();
      assertThat(actual.snapshot().index()).as(context + ": snapshot index").isEqualTo(expected.snapshot().index());
      assertThat(actual.snapshot().term()).as(context + ": snapshot term").isEqualTo(expected.snapshot().term());
      assertThat(actual.snapshot().data()).as(context + ": snapshot data").isEqualTo(expected.snapshot().data());
      assertThat(actual.snapshot().membership()).as(context + ": snapshot membership")
          .isEqualTo(expected.snapshot().membership());
    }
    assertSameEntries(actual.entries(), expected.entries(), context);
  }

  static void assertSameEntries(List<LogEntry> actual, List<LogEntry> expected, String context) {
    assertThat(actual).as(context + ": entry count").hasSameSizeAs(expected);
    for (int k = 0; k < expected.size(); k++) {
      assertSameEntry(actual.get(k), expected.get(k), context);
    }
  }

  static void assertSameEntry(LogEntry a, LogEntry e, String context) {
    String at = context + ": entry " + e.index();
    assertThat(a.index()).as(at + " index").isEqualTo(e.index());
    assertThat(a.term()).as(at + " term").isEqualTo(e.term());
    assertThat(a.type()).as(at + " type").isEqualTo(e.type());
    assertThat(a.data()).as(at + " data").isEqualTo(e.data());
  }
}

package dev.raftflow.storage.chronicle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Runs of values answer as one value per index would, for the same random operations. */
class IndexRunsTest {

  @Test
  void answersAsAnArrayOfOneValuePerIndex() {
    Random r = new Random(11);
    for (int run = 0; run < 300; run++) {
      IndexRuns runs = new IndexRuns();
      long first = 1 + r.nextInt(20);
      runs.reset(first);
      List<Long> model = new ArrayList<>(); // values of first, first + 1, ...
      long value = r.nextInt(3);
      for (int step = 0; step < 200; step++) {
        switch (r.nextInt(6)) {
          case 0, 1, 2 -> {
            if (r.nextInt(4) == 0) {
              value++;
            }
            runs.add(value);
            model.add(value);
          }
          case 3 -> {
            long at = first + r.nextInt(model.size() + 2);
            runs.truncateFrom(at);
            if (at <= first) {
              model.clear();
              first = at;
            } else if (at - first < model.size()) {
              model.subList((int) (at - first), model.size()).clear();
            }
          }
          case 4 -> {
            long upTo = first - 1 + r.nextInt(model.size() + 2);
            runs.dropUpTo(upTo);
            if (upTo >= first) {
              if (upTo >= first + model.size() - 1) {
                model.clear();
                first = upTo + 1;
              } else {
                model.subList(0, (int) (upTo - first + 1)).clear();
                first = upTo + 1;
              }
            }
          }
          default -> {
            long at = first + r.nextInt(5);
            runs.reset(at);
            model.clear();
            first = at;
          }
        }
        assertThat(runs.firstIndex()).isEqualTo(first);
        assertThat(runs.lastIndex()).isEqualTo(first + model.size() - 1);
        assertThat(runs.size()).isEqualTo(model.size());
        for (int i = 0; i < model.size(); i++) {
          assertThat(runs.get(first + i)).as("run %d step %d index %d", run, step, first + i).isEqualTo(model.get(i));
        }
        IndexRuns copy = runs.copy();
        runs.add(999);
        assertThat(copy.lastIndex()).as("a copy is independent").isEqualTo(first + model.size() - 1);
        runs.truncateFrom(runs.lastIndex());
      }
    }
  }

  @Test
  void keepsOneRunPerChangeOfValue() {
    IndexRuns runs = new IndexRuns();
    runs.reset(1);
    for (int i = 0; i < 100_000; i++) {
      runs.add(i / 1000); // batches of 1,000 entries
    }
    assertThat(runs.runs()).isEqualTo(100);
    assertThat(runs.get(54_321)).isEqualTo(54);
    assertThatThrownBy(() -> runs.get(100_001)).isInstanceOf(IndexOutOfBoundsException.class);
  }
}

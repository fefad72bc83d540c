package dev.raftflow.storage.chronicle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.LogWrite;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code format} line of a store directory: the current format opens with its records; a newer
 * or older number is refused as another format (naming both numbers, changing nothing), never as
 * damage.
 */
class StoreFormatTest {

  private static final ChronicleLogStore.Options OPTS = TestStoreOptions.SMALL;
  private static final String CURRENT = StoreDirectory.LOG_FORMAT_NAME + " format " + Records.FORMAT + "\n";

  @Test
  void theCurrentFormatOpensWithItsRecords(@TempDir Path dir) throws IOException {
    writeTen(dir);
    assertThat(Files.readString(dir.resolve(StoreDirectory.FORMAT_FILE))).isEqualTo(CURRENT);
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      List<LogEntry> loaded = s.load().entries();
      assertThat(loaded).hasSize(10);
      assertThat(loaded.get(9).index()).isEqualTo(10);
      assertThat(loaded.get(9).data()).isEqualTo(CorruptionTest.entries(10, 10, 1).get(0).data());
    }
    assertThat(Files.readString(dir.resolve(StoreDirectory.FORMAT_FILE))).as("opening rewrites nothing").isEqualTo(CURRENT);
  }

  @Test
  void aNewerFormatIsRefusedNamingBothVersionsAndNothingChanges(@TempDir Path dir) throws IOException {
    writeTen(dir);
    int newer = Records.FORMAT + 1;
    Path format = dir.resolve(StoreDirectory.FORMAT_FILE);
    Files.writeString(format, StoreDirectory.LOG_FORMAT_NAME + " format " + newer + "\n");
    byte[] ack = Files.readAllBytes(dir.resolve("ack"));
    for (int attempt = 0; attempt < 2; attempt++) {
      ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS);
      try {
        assertThatThrownBy(s::load).isInstanceOfSatisfying(StoreRefusedException.class, e -> {
          assertThat(e.recovery()).isEqualTo(StoreRefusedException.Recovery.OTHER_FORMAT);
          assertThat(e.file()).isEqualTo(format);
          assertThat(e.problem())
              .contains("storage format " + newer + " ")
              .contains("newer raftflow version")
              .contains("reads only format " + Records.FORMAT + " ")
              .contains("run a version that reads format " + newer)
              .doesNotContainIgnoringCase("damage")
              .doesNotContain("wipe");
        });
      } finally {
        s.close();
      }
    }
    assertThat(Files.readString(format)).as("the newer line is kept").endsWith("format " + newer + "\n");
    assertThat(Files.readAllBytes(dir.resolve("ack"))).isEqualTo(ack);
    Files.writeString(format, CURRENT);
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      assertThat(s.load().entries()).as("refusing lost nothing").hasSize(10);
    }
  }

  @Test
  void anOlderFormatNumberIsRefusedAsOlderNotDamaged(@TempDir Path dir) throws IOException {
    writeTen(dir);
    Files.writeString(dir.resolve(StoreDirectory.FORMAT_FILE), StoreDirectory.LOG_FORMAT_NAME + " format 1\n");
    ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS);
    try {
      assertThatThrownBy(s::load).isInstanceOfSatisfying(StoreRefusedException.class, e -> {
        assertThat(e.recovery()).isEqualTo(StoreRefusedException.Recovery.OTHER_FORMAT);
        assertThat(e.problem()).contains("storage format 1 ").contains("older raftflow version")
            .contains("reads only format " + Records.FORMAT + " ").doesNotContainIgnoringCase("damage");
      });
    } finally {
      s.close();
    }
  }

  @Test
  void aHostStoreOfANewerFormatIsRefusedTheSameWay(@TempDir Path dir) throws IOException {
    try (ChronicleHostLogStore host = ChronicleHostLogStore.open(dir, OPTS)) {
      host.openGroup("g").load();
    }
    int newer = TaggedRecords.FORMAT + 1;
    Files.writeString(dir.resolve(StoreDirectory.FORMAT_FILE), TaggedRecords.FORMAT_NAME + " format " + newer + "\n");
    assertThatThrownBy(() -> ChronicleHostLogStore.open(dir, OPTS).close())
        .isInstanceOfSatisfying(StoreRefusedException.class, e -> {
          assertThat(e.recovery()).isEqualTo(StoreRefusedException.Recovery.OTHER_FORMAT);
          assertThat(e.problem()).contains("storage format " + newer + " ").contains("newer raftflow version")
              .contains("reads only format " + TaggedRecords.FORMAT + " ");
        });
  }

  private static void writeTen(Path dir) {
    try (ChronicleLogStore s = ChronicleLogStore.open(dir, OPTS)) {
      s.load();
      s.write(new LogWrite(new HardState(1, "n1"), null, CorruptionTest.entries(1, 10, 1), 10, 1)).join();
    }
  }
}

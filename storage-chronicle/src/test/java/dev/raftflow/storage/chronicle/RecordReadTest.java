package dev.raftflow.storage.chronicle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** Reading one entry of a BATCH record in place: every position, and damage where it matters. */
class RecordReadTest {

  private static byte[] batch(HardState hs, long first, int count) {
    Records.BatchEncoder enc = new Records.BatchEncoder(new CRC32C());
    enc.begin(hs);
    for (int k = 0; k < count; k++) {
      byte[] data = new byte[k * 7 % 50];
      Arrays.fill(data, (byte) k);
      enc.add(LogEntry.command(first + k, 3 + k / 4, data));
    }
    ByteBuffer b = enc.finish();
    byte[] rec = new byte[b.remaining()];
    b.get(rec);
    return rec;
  }

  @Test
  void everyEntryReadsBackWithAndWithoutAHardState() throws Exception {
    for (HardState hs : new HardState[] {null, new HardState(9, null), new HardState(9, "node-ü")}) {
      byte[] rec = batch(hs, 100, 20);
      for (int k = 0; k < 20; k++) {
        LogEntry e = Records.readEntry(Records.view(rec), 100 + k, new CRC32C());
        assertThat(e.index()).isEqualTo(100 + k);
        assertThat(e.term()).isEqualTo(3 + k / 4);
        byte[] expected = new byte[k * 7 % 50];
        Arrays.fill(expected, (byte) k);
        assertThat(e.data()).isEqualTo(expected);
      }
      assertThatThrownBy(() -> Records.readEntry(Records.view(rec), 120, new CRC32C()))
          .isInstanceOf(Records.CorruptRecordException.class).hasMessageContaining("100..119");
    }
  }

  @Test
  void damageToTheEntryReadOrTheHeaderIsReportedButNotToAnotherEntry() throws Exception {
    byte[] rec = batch(new HardState(2, "n1"), 1, 5);
    int headerEnd = 14 + 12 + 2 + 4;
    int third = headerEnd + 2 * Records.ENTRY_OVERHEAD + 0 + 7; // entries 1 and 2 hold 0 and 7 bytes
    byte[] damaged = rec.clone();
    damaged[third + Records.ENTRY_OVERHEAD - 2] ^= 0x10; // inside entry 3's data or checksum
    assertThat(Records.readEntry(Records.view(damaged), 2, new CRC32C()).data()).hasSize(7);
    assertThatThrownBy(() -> Records.readEntry(Records.view(damaged), 3, new CRC32C()))
        .isInstanceOf(Records.CorruptRecordException.class).hasMessageContaining("entry 3");

    byte[] badHeader = rec.clone();
    badHeader[20] ^= 1; // the hard state's term
    assertThatThrownBy(() -> Records.readEntry(Records.view(badHeader), 1, new CRC32C()))
        .isInstanceOf(Records.CorruptRecordException.class).hasMessageContaining("header");

    byte[] badLength = rec.clone();
    badLength[headerEnd + 9 + 3] = 0x7f; // entry 1 claims a huge length
    assertThatThrownBy(() -> Records.readEntry(Records.view(badLength), 4, new CRC32C()))
        .isInstanceOf(Records.CorruptRecordException.class).hasMessageContaining("length");

    byte[] truncated = Arrays.copyOf(rec, rec.length - 3);
    assertThatThrownBy(() -> Records.readEntry(Records.view(truncated), 5, new CRC32C()))
        .isInstanceOf(Records.CorruptRecordException.class);
  }
}

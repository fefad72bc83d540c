package dev.raftflow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.HardState;
import dev.raftflow.engine.spi.PersistentState;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The address book: its command encoding, applying, snapshot round trip and the restart preload. */
class AddressBookTest {

  private final Map<String, InetSocketAddress> handed = new LinkedHashMap<>();
  private final AddressBook book = new AddressBook("n1", handed::put);

  @Test
  void commandsAreTaggedAndNoClientCommandIsTakenForOne() {
    byte[] cmd = AddressBook.command("n4", "10.0.0.4:7004");
    assertThat(AddressBook.isCommand(cmd)).isTrue();
    assertThat(AddressBook.isCommand("n4=10.0.0.4:7004".getBytes(StandardCharsets.UTF_8))).isFalse();
    assertThat(AddressBook.isCommand(new byte[64])).as("the load generator's payload").isFalse();
    assertThat(AddressBook.isCommand(new byte[0])).isFalse();
    assertThatThrownBy(() -> AddressBook.command("n4", "10.0.0.4")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AddressBook.command("n4", "h:70000")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AddressBook.command("a=b", "h:1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AddressBook.command("", "h:1")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void applyingRecordsEveryEntryAndHandsOnOthersOnly() {
    assertThat(book.apply(AddressBook.command("n4", "h4:7004"))).isTrue();
    assertThat(book.apply(AddressBook.command("n1", "h1:7001"))).isTrue();
    assertThat(book.apply(AddressBook.command("n4", "h4b:7014"))).as("a new address replaces the old").isTrue();
    byte[] malformed = AddressBook.command("n5", "h5:7005");
    malformed[malformed.length - 5] = '!'; // "h5!7005": no port
    assertThat(book.apply(malformed)).isFalse();

    assertThat(book.entries()).isEqualTo(Map.of("n1", "h1:7001", "n4", "h4b:7014"));
    assertThat(handed).containsOnlyKeys("n4");
    assertThat(handed.get("n4").getHostString()).isEqualTo("h4b");
    assertThat(handed.get("n4").getPort()).isEqualTo(7014);
    assertThat(handed.get("n4").isUnresolved()).as("resolved when dialed, not on the apply thread").isTrue();
  }

  @Test
  void aSnapshotCarriesTheBook() {
    book.apply(AddressBook.command("n4", "h4:7004"));
    book.apply(AddressBook.command("n5", "h5:7005"));
    ByteBuffer snapshot = ByteBuffer.wrap(book.encode());

    Map<String, InetSocketAddress> elsewhere = new LinkedHashMap<>();
    AddressBook restored = new AddressBook("n5", elsewhere::put);
    restored.restore(snapshot);
    assertThat(snapshot.hasRemaining()).isFalse();
    assertThat(restored.entries()).isEqualTo(book.entries());
    assertThat(elsewhere).containsOnlyKeys("n4");
  }

  @Test
  void aRestartHandsOnTheAddressesInTheLogBeforeTheyApplyAgain() {
    List<LogEntry> entries = List.of(
        LogEntry.command(1, 1, "x".getBytes(StandardCharsets.UTF_8)),
        LogEntry.command(2, 1, AddressBook.command("n4", "h4:7004")),
        LogEntry.config(3, 1, Membership.of(Set.of("n1", "n2", "n3"), Set.of("n4"))),
        LogEntry.noop(4, 2));
    book.preload(new PersistentState(HardState.INITIAL, null, entries));
    assertThat(handed).containsOnlyKeys("n4");
    assertThat(book.entries()).as("only applied entries are recorded (and snapshotted)").isEmpty();
  }
}

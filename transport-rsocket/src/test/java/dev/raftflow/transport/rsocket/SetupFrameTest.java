package dev.raftflow.transport.rsocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The identity frame of RSocket's SETUP: round trip, proof checks, malformed input. */
class SetupFrameTest {

  private static final byte[] SECRET = "a shared secret of the cluster".getBytes(StandardCharsets.UTF_8);

  @Test
  void roundTripsAndVerifiesWithTheRightSecretOnly() {
    SetupFrame f = SetupFrame.create("prod", "n1", "n2", Optional.of(SECRET));
    SetupFrame back = SetupFrame.decode(ByteBuffer.wrap(f.encode()));
    assertThat(back.clusterId()).isEqualTo("prod");
    assertThat(back.from()).isEqualTo("n1");
    assertThat(back.to()).isEqualTo("n2");
    assertThat(back.verify(SECRET, System.currentTimeMillis())).isEmpty();
    assertThat(back.verify("another secret entirely!".getBytes(StandardCharsets.UTF_8), System.currentTimeMillis()))
        .contains("bad shared-secret proof");
    assertThat(SetupFrame.decode(ByteBuffer.wrap(SetupFrame.create("prod", "n1", "n2", Optional.empty()).encode()))
        .verify(SECRET, System.currentTimeMillis())).contains("no shared-secret proof presented");
  }

  @Test
  void theAdvertisedAddressRoundTripsUnderTheProof() {
    SetupFrame f = SetupFrame.create("prod", "n1", "n2", Optional.of(new InetSocketAddress("127.0.0.1", 7001)),
        Optional.of(SECRET));
    SetupFrame back = SetupFrame.decode(ByteBuffer.wrap(f.encode()));
    assertThat(back.advertised()).hasValueSatisfying(a -> {
      assertThat(a.getHostString()).isEqualTo("127.0.0.1");
      assertThat(a.getPort()).isEqualTo(7001);
    });
    assertThat(back.verify(SECRET, System.currentTimeMillis())).isEmpty();
    assertThat(SetupFrame.decode(ByteBuffer.wrap(SetupFrame.create("prod", "n1", "n2", Optional.empty()).encode()))
        .advertised()).isEmpty();
    SetupFrame moved = new SetupFrame("prod", "n1", "n2", Optional.of(InetSocketAddress.createUnresolved("127.0.0.1", 7002)),
        f.timestampMillis(), f.nonce(), f.mac());
    assertThat(moved.verify(SECRET, System.currentTimeMillis())).contains("bad shared-secret proof");
    SetupFrame dropped = new SetupFrame("prod", "n1", "n2", Optional.empty(), f.timestampMillis(), f.nonce(), f.mac());
    assertThat(dropped.verify(SECRET, System.currentTimeMillis())).contains("bad shared-secret proof");
  }

  @Test
  void anAdvertisedHostAndPortComeTogether() {
    byte[] none = SetupFrame.create("p", "a", "b", Optional.empty()).encode();
    // [version][1 p][1 a][1 b][host len][port(2)]...: a port without a host
    int port = 1 + 2 + 2 + 2 + 1;
    byte[] portOnly = none.clone();
    portOnly[port + 1] = 5;
    assertThatThrownBy(() -> SetupFrame.decode(ByteBuffer.wrap(portOnly))).hasMessageContaining("without a host");
    byte[] hostOnly = SetupFrame.create("p", "a", "b", Optional.of(InetSocketAddress.createUnresolved("h", 9)),
        Optional.empty()).encode();
    hostOnly[port + 1 + 1] = 0; // "h" is one byte: the port follows it
    assertThatThrownBy(() -> SetupFrame.decode(ByteBuffer.wrap(hostOnly))).hasMessageContaining("without a port");
  }

  @Test
  void aProofFromAnotherIdentityOrTimeIsRefused() {
    SetupFrame f = SetupFrame.create("prod", "n1", "n2", Optional.of(SECRET));
    // the same proof presented under another node id does not verify
    SetupFrame forged = new SetupFrame("prod", "n3", "n2", f.advertised(), f.timestampMillis(), f.nonce(), f.mac());
    assertThat(forged.verify(SECRET, System.currentTimeMillis())).contains("bad shared-secret proof");
    // an old (replayed) frame is outside the skew window
    assertThat(f.verify(SECRET, f.timestampMillis() + SetupFrame.MAX_SKEW_MS + 1)).get().asString().contains("away from");
  }

  @Test
  void malformedFramesFailWithAReason() {
    byte[] ok = SetupFrame.create("prod", "n1", "n2", Optional.of(new InetSocketAddress("127.0.0.1", 7001)),
        Optional.of(SECRET)).encode();
    for (int len = 0; len < ok.length; len++) {
      byte[] cut = Arrays.copyOf(ok, len);
      assertThatThrownBy(() -> SetupFrame.decode(ByteBuffer.wrap(cut))).isInstanceOf(IllegalArgumentException.class);
    }
    byte[] trailing = Arrays.copyOf(ok, ok.length + 1);
    assertThatThrownBy(() -> SetupFrame.decode(ByteBuffer.wrap(trailing))).hasMessageContaining("trailing");
    byte[] version = ok.clone();
    version[0] = 9;
    assertThatThrownBy(() -> SetupFrame.decode(ByteBuffer.wrap(version))).hasMessageContaining("setup version 9");
  }
}

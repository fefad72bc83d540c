package dev.raftflow.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The protocol's bodies: what the server encodes, the client decodes the same; malformed bodies fail clearly. */
class ClientProtocolTest {

  @Test
  void stateRoundTripsWithAndWithoutALeader() {
    ByteBuffer reply = ClientProtocol.state(7, "LEADER", "n2", 40, 39, 41);
    assertThat(reply.get()).isEqualTo(ClientProtocol.OK);
    NodeStatus s = ClientProtocol.readState(reply);
    assertThat(s).isEqualTo(new NodeStatus(7, "LEADER", "n2", 40, 39, 41));
    assertThat(s.isLeader()).isTrue();
    assertThat(reply.hasRemaining()).isFalse();

    ByteBuffer none = ClientProtocol.state(3, "CANDIDATE", null, 0, 0, 5);
    none.get();
    NodeStatus c = ClientProtocol.readState(none);
    assertThat(c.leaderId()).isNull();
    assertThat(c.isLeader()).isFalse();
  }

  @Test
  void membershipRoundTripsSorted() {
    ByteBuffer reply = ClientProtocol.membership(Set.of("n3", "n1", "n2"), Set.of("n1", "n2"), Set.of("n9"));
    assertThat(reply.get()).isEqualTo(ClientProtocol.OK);
    Membership m = ClientProtocol.readMembership(reply);
    assertThat(m).isEqualTo(new Membership(Set.of("n1", "n2", "n3"), Set.of("n1", "n2"), Set.of("n9")));
    assertThat(m.toString()).contains("voters=[n1, n2, n3]");
    assertThat(ClientProtocol.readMembership(ClientProtocol.membership(Set.of("a"), Set.of(), Set.of()).position(1)))
        .isEqualTo(Membership.ofVoters(Set.of("a")));
  }

  @Test
  void failureCarriesItsTextOrNone() {
    ByteBuffer notLeader = ClientProtocol.failure(ClientProtocol.NOT_LEADER, "n1");
    assertThat(notLeader.get()).isEqualTo(ClientProtocol.NOT_LEADER);
    assertThat(ClientProtocol.getStr(notLeader)).isEqualTo("n1");
    ByteBuffer unknown = ClientProtocol.failure(ClientProtocol.NOT_LEADER, null);
    unknown.get();
    assertThat(ClientProtocol.getStr(unknown)).isNull();
  }

  @Test
  void leaderItemsAndOutcomeUnknownRoundTrip() {
    ByteBuffer item = ClientProtocol.leader(9, "n3");
    assertThat(item.remaining()).isEqualTo(8 + 2 + 2);
    assertThat(ClientProtocol.readLeader(item)).isEqualTo(new LeaderHint(9, "n3"));
    assertThat(ClientProtocol.readLeader(ClientProtocol.leader(0, null))).isEqualTo(new LeaderHint(0, null));
    assertThatThrownBy(() -> ClientProtocol.readLeader(ByteBuffer.allocate(10).putLong(-2).putShort((short) -1).flip()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-2");

    ByteBuffer unknown = ClientProtocol.outcomeUnknown("n2", "n1 stopped leading");
    assertThat(unknown.get()).isEqualTo(ClientProtocol.OUTCOME_UNKNOWN);
    assertThat(ClientProtocol.getStr(unknown)).isEqualTo("n2");
    assertThat(ClientProtocol.getStr(unknown)).isEqualTo("n1 stopped leading");
    // the numbers already in use keep their meaning
    assertThat(new byte[] {ClientProtocol.OK, ClientProtocol.NOT_LEADER, ClientProtocol.OVERLOADED, ClientProtocol.ERROR,
        ClientProtocol.OUTCOME_UNKNOWN}).containsExactly(0, 1, 2, 3, 4);
    assertThat(ClientProtocol.OP_MEMBERSHIP).isEqualTo((byte) 8);
    assertThat(ClientProtocol.OP_WATCH_LEADER).isEqualTo((byte) 9);
  }

  @Test
  void positionAndRequestLayout() {
    ByteBuffer p = ClientProtocol.position(12, 3);
    assertThat(p.remaining()).isEqualTo(17);
    assertThat(p.get()).isEqualTo(ClientProtocol.OK);
    assertThat(p.getLong()).isEqualTo(12);
    assertThat(p.getLong()).isEqualTo(3);
    ByteBuffer r = ClientProtocol.request(ClientProtocol.OP_PROPOSE, "x".getBytes(StandardCharsets.UTF_8));
    assertThat(r.get()).isEqualTo(ClientProtocol.OP_PROPOSE);
    assertThat(r.get()).isEqualTo((byte) 'x');
  }

  @Test
  void malformedBodiesFailClearly() {
    ByteBuffer tooLong = ByteBuffer.allocate(4).putShort((short) 10).put((byte) 'a').put((byte) 'b').flip();
    assertThatThrownBy(() -> ClientProtocol.getStr(tooLong))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10 bytes");
    ByteBuffer negative = ByteBuffer.allocate(2).putShort((short) -5).flip();
    assertThatThrownBy(() -> ClientProtocol.getStr(negative)).isInstanceOf(IllegalArgumentException.class);
    ByteBuffer hugeList = ByteBuffer.allocate(2).putShort((short) 1000).flip();
    assertThatThrownBy(() -> ClientProtocol.readMembership(hugeList))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1000 members");
    ByteBuffer nullMember = ByteBuffer.allocate(4).putShort((short) 1).putShort((short) -1).flip();
    assertThatThrownBy(() -> ClientProtocol.readMembership(nullMember))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing");
  }
}

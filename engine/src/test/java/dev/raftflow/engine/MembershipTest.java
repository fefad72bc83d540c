package dev.raftflow.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.core.quorum.JointConfig;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MembershipTest {

  @Test
  void aJointConfigurationNeedsAMajorityOfEachSide() {
    Membership joint = Membership.of(Set.of("a", "b", "c"), Set.of()).transitionTo(Membership.of(Set.of("c", "d", "e"), Set.of()));
    assertThat(joint.isJoint()).isTrue();
    assertThat(quorum(joint, "c", "d", "e")).as("all new, one old").isFalse();
    assertThat(quorum(joint, "a", "b", "c")).as("all old, one new").isFalse();
    assertThat(quorum(joint, "b", "c", "d")).isTrue();
    assertThat(joint.target()).isEqualTo(Membership.of(Set.of("c", "d", "e"), Set.of()));
    assertThat(quorum(Membership.ofVoters(Set.of("a", "b", "c", "d")), "a", "b")).as("2 of 4").isFalse();
  }

  @Test
  void changingOnlyLearnersNeedsNoJointStep() {
    Membership now = Membership.of(Set.of("a", "b", "c"), Set.of());
    Membership next = Membership.of(Set.of("a", "b", "c"), Set.of("d"));
    assertThat(now.transitionTo(next)).isEqualTo(next);
    assertThat(next.isVoter("d")).isFalse();
    assertThat(next.contains("d")).isTrue();
    assertThat(quorum(next, "a", "d")).as("a learner does not count").isFalse();
  }

  /** Whether {@code heard} form a quorum of {@code m}'s voters, as the core counts one. */
  private static boolean quorum(Membership m, String... heard) {
    return JointConfig.of(m.voters(), m.outgoingVoters()).isQuorum(Set.of(heard)::contains);
  }

  @Test
  void encodingRoundTripsAndIsTheSameForEqualMemberships() {
    Membership m = new Membership(Set.of("n1", "n2"), Set.of("n1", "n2", "n3"), Set.of("n3", "ü"));
    assertThat(Membership.decode(m.encode())).isEqualTo(m);
    Membership same = new Membership(Set.of("n2", "n1"), Set.of("n3", "n2", "n1"), Set.of("ü", "n3"));
    assertThat(same.encode()).isEqualTo(m.encode());
  }

  @Test
  void badInputIsRefusedWithAClearError() {
    assertThatThrownBy(() -> Membership.of(Set.of(), Set.of("a"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one voter");
    assertThatThrownBy(() -> Membership.of(Set.of("a"), Set.of("a"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("both a voter and a learner");
    byte[] good = Membership.of(Set.of("a", "b"), Set.of()).encode();
    assertThatThrownBy(() -> Membership.decode(Arrays.copyOf(good, good.length - 1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated");
    assertThatThrownBy(() -> Membership.decode(Arrays.copyOf(good, good.length + 1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trailing");
    byte[] otherFormat = good.clone();
    otherFormat[0] = 9;
    assertThatThrownBy(() -> Membership.decode(otherFormat)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("format");
    assertThatThrownBy(() -> Membership.decode(new byte[0])).isInstanceOf(IllegalArgumentException.class);
  }
}

package dev.raftflow.engine.core.quorum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QuorumTest {

  private static final MajorityConfig ABC = MajorityConfig.of(List.of("c", "a", "b"));

  @Test
  void theCommittedIndexIsTheHighestAMajorityAcknowledged() {
    assertThat(ABC.voter(0)).as("voters are sorted").isEqualTo("a");
    assertThat(ABC.committedIndex(new long[] {5, 1, 3})).isEqualTo(3);
    assertThat(ABC.committedIndex(new long[] {5, 5, 0})).isEqualTo(5);
    assertThat(MajorityConfig.of(List.of("a", "b", "c", "d")).committedIndex(new long[] {4, 3, 2, 1}))
        .as("3 of 4 needed").isEqualTo(2);
    assertThat(MajorityConfig.of(List.of("a")).committedIndex(new long[] {7})).isEqualTo(7);
    assertThat(MajorityConfig.empty().committedIndex(new long[0])).as("an empty half agrees to anything")
        .isEqualTo(Long.MAX_VALUE);
    assertThatThrownBy(() -> ABC.committedIndex(new long[2])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aVoteIsWonLostOrPendingByMajority() {
    assertThat(ABC.voteResult(Set.of("a", "b")::contains, Set.of()::contains)).isEqualTo(VoteResult.WON);
    assertThat(ABC.voteResult(Set.of("a")::contains, Set.of("b")::contains)).isEqualTo(VoteResult.PENDING);
    assertThat(ABC.voteResult(Set.of("a")::contains, Set.of("b", "c")::contains)).isEqualTo(VoteResult.LOST);
    assertThat(ABC.voteResult(Set.of("x", "y")::contains, Set.of()::contains)).as("strangers do not count")
        .isEqualTo(VoteResult.PENDING);
  }

  @Test
  void aJointConfigurationNeedsBothHalves() {
    JointConfig joint = JointConfig.of(List.of("c", "d", "e"), List.of("a", "b", "c"));
    assertThat(joint.isJoint()).isTrue();
    assertThat(joint.isQuorum(Set.of("c", "d", "e")::contains)).isFalse();
    assertThat(joint.isQuorum(Set.of("b", "c", "d")::contains)).isTrue();
    // incoming c,d,e acked 9,8,1; outgoing a,b,c acked 2,1,9
    assertThat(joint.committedIndex(new long[] {9, 8, 1}, new long[] {2, 1, 9})).isEqualTo(2);
    assertThat(joint.voteResult(Set.of("c", "d")::contains, Set.of("a", "b")::contains)).isEqualTo(VoteResult.LOST);
    assertThat(joint.voteResult(Set.of("b", "c", "d")::contains, Set.of()::contains)).isEqualTo(VoteResult.WON);
    JointConfig plain = JointConfig.of(List.of("a", "b", "c"), List.of());
    assertThat(plain.isJoint()).isFalse();
    assertThat(plain.committedIndex(new long[] {4, 4, 1}, new long[0])).as("the empty half is neutral").isEqualTo(4);
  }
}

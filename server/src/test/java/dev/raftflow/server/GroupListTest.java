package dev.raftflow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code node --groups}: a count or a list of ids, and what is refused. */
class GroupListTest {

  @Test
  void aCountNamesNumberedGroups() {
    assertThat(GroupList.parse("3")).containsExactly("g0", "g1", "g2");
    assertThat(GroupList.parse(" 1 ")).containsExactly("g0");
  }

  @Test
  void aListKeepsItsIdsInOrder() {
    assertThat(GroupList.parse("orders,users, stock-7")).containsExactly("orders", "users", "stock-7");
    assertThat(GroupList.parse("42x")).containsExactly("42x");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "100001", "99999999999", "", " ", "a,,b", "a,", "a,a", "a b", "-1"})
  void badSpecsAreRefusedWithTheReason(String spec) {
    assertThatThrownBy(() -> GroupList.parse(spec)).isInstanceOf(UsageException.class).hasMessageContaining("--groups");
  }

  @Test
  void anIdLongerThan255BytesIsRefused() {
    assertThatThrownBy(() -> GroupList.parse("ok," + "x".repeat(256)))
        .isInstanceOf(UsageException.class).hasMessageContaining("255 bytes");
  }
}

package dev.raftflow.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.testkit.KvModel.Input;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The checker on histories whose answer is known: some must pass, some must be rejected. */
class LinearizabilityCheckerTest {

  private static final KvModel KV = new KvModel();
  private static final long NEVER = Operation.UNKNOWN;

  private static Operation<Input, String> op(int client, Input in, String out, long call, long ret) {
    return new Operation<>(client, in, out, call, ret);
  }

  private static boolean ok(List<Operation<Input, String>> h) {
    return LinearizabilityChecker.check(KV, h).linearizable();
  }

  @Test
  void aReadThatMissesACompletedWriteIsRejected() {
    List<Operation<Input, String>> h = List.of(
        op(0, Input.put("k", "1"), null, 0, 10),
        op(1, Input.get("k"), null, 20, 30)); // stale: the put had returned
    LinearizabilityChecker.Result<Input, String> r = LinearizabilityChecker.check(KV, h);
    assertThat(r.linearizable()).isFalse();
    assertThat(r.partition()).isEqualTo("k");
    assertThat(r.describe()).contains("partition k is not linearizable").contains("client 1");
  }

  @Test
  void overlappingOperationsMayTakeEffectInEitherOrderAndKeysAreIndependent() {
    assertThat(ok(List.of(
        op(0, Input.append("k", "a"), null, 0, 50),
        op(1, Input.append("k", "b"), null, 10, 40),
        op(2, Input.get("k"), "ba", 60, 70),
        op(3, Input.get("j"), null, 0, 5)))).isTrue();
  }

  @Test
  void readsMustAgreeOnOneOrder() {
    assertThat(ok(List.of(
        op(0, Input.append("k", "a"), null, 0, 100),
        op(1, Input.append("k", "b"), null, 0, 100),
        op(2, Input.get("k"), "ab", 110, 120),
        op(3, Input.get("k"), "ba", 130, 140)))).isFalse();
  }

  @Test
  void anOperationOfUnknownOutcomeMayOrMayNotHaveHappenedButNotBeforeItsCall() {
    assertThat(ok(List.of(op(0, Input.append("k", "x"), null, 0, NEVER), op(1, Input.get("k"), "x", 100, 110))))
        .isTrue();
    assertThat(ok(List.of(op(0, Input.append("k", "x"), null, 0, NEVER), op(1, Input.get("k"), null, 100, 110))))
        .isTrue();
    assertThat(ok(List.of(op(0, Input.append("k", "x"), null, 50, NEVER), op(1, Input.get("k"), "x", 0, 10))))
        .isFalse();
  }

  @Test
  void aCommandAppliedTwiceIsCaught() {
    // two clients' increments by compare-and-set: both succeed once; a retry applied again would
    // make a third success impossible to explain
    assertThat(ok(List.of(
        op(0, Input.put("c", "0"), null, 0, 5),
        op(1, Input.cas("c", "0", "1"), "true", 10, 20),
        op(2, Input.cas("c", "1", "2"), "true", 30, 40),
        op(3, Input.get("c"), "2", 50, 60)))).isTrue();
    assertThat(ok(List.of(
        op(0, Input.put("c", "0"), null, 0, 5),
        op(1, Input.append("c", "+"), null, 10, 20),
        op(2, Input.get("c"), "0++", 30, 40)))).as("one append seen twice").isFalse();
    assertThat(ok(List.of(
        op(0, Input.cas("c", null, "1"), "true", 0, 10),
        op(1, Input.cas("c", null, "1"), "true", 20, 30)))).as("a second swap from absent").isFalse();
  }

  @Test
  void deleteMakesAKeyAbsent() {
    assertThat(ok(List.of(
        op(0, Input.put("k", "v"), null, 0, 10),
        op(0, Input.delete("k"), null, 20, 30),
        op(1, Input.get("k"), null, 40, 50),
        op(1, Input.cas("k", null, "w"), "true", 60, 70)))).isTrue();
    assertThat(ok(List.of(
        op(0, Input.put("k", "v"), null, 0, 10),
        op(0, Input.delete("k"), null, 20, 30),
        op(1, Input.get("k"), "v", 40, 50)))).isFalse();
  }

  /**
   * Random sequential histories with overlap added only where it cannot change the order's meaning
   * are accepted; changing one read's output to a value never written is rejected.
   */
  @Test
  void randomHistoriesAreAcceptedAndCorruptedOnesRejected() {
    Random r = new Random(7);
    for (int run = 0; run < 200; run++) {
      List<Operation<Input, String>> h = new ArrayList<>();
      Map<String, String> state = new HashMap<>();
      long t = 0;
      int reads = 0;
      for (int i = 0; i < 30; i++) {
        String key = "k" + r.nextInt(3);
        Input in;
        String out = null;
        switch (r.nextInt(5)) {
          case 0 -> in = Input.put(key, "v" + i);
          case 1 -> in = Input.append(key, "a" + i);
          case 2 -> in = Input.delete(key);
          case 3 -> {
            String expected = r.nextBoolean() ? state.get(key) : "nope";
            in = Input.cas(key, expected, "c" + i);
            out = String.valueOf(java.util.Objects.equals(state.get(key), expected));
          }
          default -> {
            in = Input.get(key);
            out = state.get(key);
            reads++;
          }
        }
        switch (in.kind()) {
          case PUT -> state.put(key, in.value());
          case APPEND -> state.merge(key, in.value(), String::concat);
          case DELETE -> state.remove(key);
          case CAS -> {
            if ("true".equals(out)) {
              state.put(key, in.value());
            }
          }
          default -> { }
        }
        h.add(op(r.nextInt(4), in, out, t, t + 1 + r.nextInt(5)));
        t += 10;
      }
      assertThat(ok(h)).as("run %d", run).isTrue();
      if (reads > 0) {
        List<Operation<Input, String>> bad = new ArrayList<>(h);
        for (int i = 0; i < bad.size(); i++) {
          Operation<Input, String> o = bad.get(i);
          if (o.input().kind() == KvModel.Kind.GET) {
            bad.set(i, op(o.client(), o.input(), "never written", o.call(), o.returned()));
            break;
          }
        }
        assertThat(ok(bad)).as("run %d corrupted", run).isFalse();
      }
    }
  }
}

package dev.raftflow.testkit;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks whether a history of concurrent operations is linearizable against a {@link Model}: whether
 * some order of the operations, consistent with real time (an operation that returned before
 * another was called comes first), explains every output. Wing and Gong's search with porcupine's
 * memo: try in turn each operation that may go next (called before every remaining one returned),
 * apply it to the model, and never revisit a (set of operations done, state) pair. An operation of
 * unknown outcome may take effect at any point after its call, or never. Exponential in the worst
 * case; fine for the histories of a test (hundreds of operations per partition). Stateless;
 * thread-safe.
 */
public final class LinearizabilityChecker {

  private LinearizabilityChecker() {}

  /** The verdict: linearizable, or the first partition that is not, with its operations in call order. */
  public record Result<I, O>(boolean linearizable, Object partition, List<Operation<I, O>> partitionHistory) {

    /** A description of the failing partition's history, or "linearizable". */
    public String describe() {
      if (linearizable) {
        return "linearizable";
      }
      StringBuilder b = new StringBuilder("partition " + partition + " is not linearizable; its history:");
      for (Operation<I, O> op : partitionHistory) {
        b.append("\n  client ").append(op.client()).append(' ').append(op.input()).append(" -> ")
            .append(op.unknown() ? "?" : op.output()).append(" [").append(op.call()).append(", ")
            .append(op.unknown() ? "unknown" : op.returned()).append(']');
      }
      return b.toString();
    }
  }

  /** Checks {@code history} against {@code model}. */
  public static <S, I, O> Result<I, O> check(Model<S, I, O> model, List<Operation<I, O>> history) {
    Map<Object, List<Operation<I, O>>> parts = new LinkedHashMap<>();
    for (Operation<I, O> op : history) {
      parts.computeIfAbsent(model.partition(op.input()), k -> new ArrayList<>()).add(op);
    }
    for (Map.Entry<Object, List<Operation<I, O>>> e : parts.entrySet()) {
      List<Operation<I, O>> ops = new ArrayList<>(e.getValue());
      ops.sort(Comparator.comparingLong(Operation::call));
      if (!new Search<>(model, ops).run()) {
        return new Result<>(false, e.getKey(), List.copyOf(ops));
      }
    }
    return new Result<>(true, null, List.of());
  }

  private static final class Search<S, I, O> {
    private final Model<S, I, O> model;
    private final List<Operation<I, O>> ops;
    private final Set<Object> seen = new HashSet<>();

    Search(Model<S, I, O> model, List<Operation<I, O>> ops) {
      this.model = model;
      this.ops = ops;
    }

    boolean run() {
      return step(new BitSet(ops.size()), model.init());
    }

    private boolean step(BitSet done, S state) {
      long firstReturn = Long.MAX_VALUE;
      boolean knownLeft = false;
      for (int i = done.nextClearBit(0); i < ops.size(); i = done.nextClearBit(i + 1)) {
        firstReturn = Math.min(firstReturn, ops.get(i).returned());
        knownLeft |= !ops.get(i).unknown();
      }
      if (!knownLeft) {
        return true; // what remains may never have taken effect
      }
      if (!seen.add(List.of(done.clone(), state))) {
        return false;
      }
      for (int i = done.nextClearBit(0); i < ops.size(); i = done.nextClearBit(i + 1)) {
        Operation<I, O> op = ops.get(i);
        if (op.call() > firstReturn) {
          break; // sorted by call: no later one may go next either
        }
        Optional<S> next = op.unknown() ? Optional.of(model.apply(state, op.input()))
            : model.step(state, op.input(), op.output());
        if (next.isEmpty()) {
          continue;
        }
        done.set(i);
        boolean ok = step(done, next.get());
        done.clear(i);
        if (ok) {
          return true;
        }
      }
      return false;
    }
  }
}

package dev.raftflow.engine.lab;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The history of a small key-value service (put, append, get on string values) and a
 * linearizability check over it, one key at a time (a history is linearizable if and only if
 * each key's sub-history is). The search is Wing and Gong's, with the memo of porcupine: try, in
 * turn, every operation that may go first (called before any remaining one returned), apply it to
 * the model, and never revisit a (set of operations done, state) pair. A write whose outcome the
 * client never learned has no return time: it may take effect at any point after its call, or
 * never.
 */
final class KvHistory {

  enum Kind {
    PUT,
    APPEND,
    GET
  }

  /** One operation: [call, ret] in virtual milliseconds; {@code ret} is MAX_VALUE when unknown. */
  record Op(int client, Kind kind, String key, String value, String output, long call, long ret) {
    boolean unknown() {
      return ret == Long.MAX_VALUE;
    }
  }

  private final List<Op> ops = new ArrayList<>();

  synchronized void add(Op op) {
    ops.add(op);
  }

  synchronized int size() {
    return ops.size();
  }

  /** Null when linearizable, or a description of the first key whose history is not. */
  synchronized String check() {
    Map<String, List<Op>> byKey = new LinkedHashMap<>();
    for (Op op : ops) {
      byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
    }
    for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
      List<Op> keyOps = e.getValue();
      if (!new Search(keyOps).run()) {
        StringBuilder b = new StringBuilder("key " + e.getKey() + " is not linearizable; its history:");
        keyOps.stream().sorted((x, y) -> Long.compare(x.call(), y.call()))
            .forEach(op -> b.append("\n  ").append(op));
        return b.toString();
      }
    }
    return null;
  }

  /** Depth-first search over linearization orders of one key's operations. */
  private static final class Search {
    private final List<Op> ops;
    private final Set<String> seen = new HashSet<>();

    Search(List<Op> ops) {
      this.ops = ops;
    }

    boolean run() {
      return step(new BitSet(ops.size()), "");
    }

    private boolean step(BitSet done, String state) {
      long firstReturn = Long.MAX_VALUE;
      boolean knownLeft = false;
      for (int i = done.nextClearBit(0); i < ops.size(); i = done.nextClearBit(i + 1)) {
        firstReturn = Math.min(firstReturn, ops.get(i).ret());
        knownLeft |= !ops.get(i).unknown();
      }
      if (!knownLeft) {
        return true; // what remains may never have taken effect
      }
      if (!seen.add(done + "|" + state)) {
        return false;
      }
      for (int i = done.nextClearBit(0); i < ops.size(); i = done.nextClearBit(i + 1)) {
        Op op = ops.get(i);
        if (op.call() > firstReturn) {
          continue; // another remaining operation returned before this one was called
        }
        String next = switch (op.kind()) {
          case PUT -> op.value();
          case APPEND -> state + op.value();
          case GET -> op.output().equals(state) ? state : null;
        };
        if (next == null) {
          continue;
        }
        done.set(i);
        boolean ok = step(done, next);
        done.clear(i);
        if (ok) {
          return true;
        }
      }
      return false;
    }
  }
}

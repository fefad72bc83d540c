package dev.raftflow.engine.lab;

import dev.raftflow.testkit.KvModel;
import dev.raftflow.testkit.LinearizabilityChecker;
import dev.raftflow.testkit.Operation;
import java.util.ArrayList;
import java.util.List;

/**
 * The history of the lab's small key-value service (put, append, get on string values), checked
 * for linearizability by raftflow-testkit's {@link LinearizabilityChecker} against its {@link
 * KvModel}, one key at a time. A write whose outcome the client never learned has no return time: it
 * may take effect at any point after its call, or never.
 */
final class KvHistory {
  // the check itself is the reusable one of raftflow-testkit (LinearizabilityChecker, KvModel)

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
    List<Operation<KvModel.Input, String>> history = new ArrayList<>();
    for (Op op : ops) {
      KvModel.Input in = switch (op.kind()) {
        case PUT -> KvModel.Input.put(op.key(), op.value());
        case APPEND -> KvModel.Input.append(op.key(), op.value());
        case GET -> KvModel.Input.get(op.key());
      };
      // the lab's store reads a missing key as "": the model's missing key is null
      String out = op.kind() == Kind.GET && "".equals(op.output()) ? null : op.output();
      history.add(new Operation<>(op.client(), in, out, op.call(), op.unknown() ? Operation.UNKNOWN : op.ret()));
    }
    LinearizabilityChecker.Result<KvModel.Input, String> r = LinearizabilityChecker.check(new KvModel(), history);
    return r.linearizable() ? null : "key " + r.partition() + " is not linearizable; " + r.describe();
  }
}

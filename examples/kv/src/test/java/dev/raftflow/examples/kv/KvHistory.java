package dev.raftflow.examples.kv;

import dev.raftflow.testkit.KvModel;
import dev.raftflow.testkit.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The operations clients made against a KV cluster, as {@link KvModel} operations on one clock
 * ({@link System#nanoTime()}), for the linearizability checker. An operation is recorded when it
 * ends: {@link #ok} with its answer, {@link #indeterminate} when its outcome is unknown (a write
 * that timed out or lost its connection: it may have been applied at any time after its call, or
 * never), {@link #failed} when it surely had no effect (a read that got no answer; not in the
 * checked history). A put that answered the value it replaced is recorded as the compare-and-set
 * it amounts to (from that value to its own), so the checker also checks what writes saw.
 * Thread-safe.
 */
final class KvHistory {

  private final List<Operation<KvModel.Input, String>> ops = new ArrayList<>();
  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong indeterminate = new AtomicLong();
  /** Writes whose answer named their own value as the one they replaced: applied twice. */
  private final List<String> selfReplacing = new ArrayList<>();

  static long now() {
    return System.nanoTime();
  }

  /** A put of {@code value} called at {@code call} that answered {@code previous} (null: absent). */
  void putOk(int client, String key, String value, String previous, long call) {
    if (value.equals(previous)) {
      synchronized (this) {
        selfReplacing.add("client " + client + " put " + key + "=" + value + " replaced " + previous);
      }
    }
    ok(client, KvModel.Input.cas(key, previous, value), "true", call);
  }

  /** A completed operation with its output (for cas "true"/"false", for get the value or null). */
  void ok(int client, KvModel.Input in, String output, long call) {
    long returned = now();
    ok.incrementAndGet();
    add(new Operation<>(client, in, output, call, returned));
  }

  /** An operation whose outcome the client never learned. */
  void indeterminate(int client, KvModel.Input in, long call) {
    indeterminate.incrementAndGet();
    add(new Operation<>(client, in, null, call, Operation.UNKNOWN));
  }

  /** An operation that surely had no effect (not part of the checked history). */
  void failed() {
    failed.incrementAndGet();
  }

  private synchronized void add(Operation<KvModel.Input, String> op) {
    ops.add(op);
  }

  synchronized List<Operation<KvModel.Input, String>> operations() {
    return List.copyOf(ops);
  }

  /** The operations on {@code key}. */
  synchronized List<Operation<KvModel.Input, String>> operations(String key) {
    return ops.stream().filter(o -> o.input().key().equals(key)).toList();
  }

  synchronized List<String> selfReplacing() {
    return List.copyOf(selfReplacing);
  }

  long okCount() {
    return ok.get();
  }

  long failedCount() {
    return failed.get();
  }

  long indeterminateCount() {
    return indeterminate.get();
  }
}

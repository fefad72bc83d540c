package dev.raftflow.engine.session;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A counter service for tests: each command adds one and is answered with the new value (8 bytes);
 * it counts how often each command (by its bytes as text) was applied, and how often it was restored.
 */
final class CountingMachine implements StateMachine {

  private volatile long value;
  final Map<String, AtomicInteger> applies = new ConcurrentHashMap<>();
  final AtomicInteger restores = new AtomicInteger();

  @Override
  public byte[] apply(long index, byte[] command) {
    applies.computeIfAbsent(new String(command, StandardCharsets.UTF_8), k -> new AtomicInteger()).incrementAndGet();
    value++;
    return ByteBuffer.allocate(8).putLong(value).array();
  }

  @Override
  public byte[] snapshot() {
    return ByteBuffer.allocate(8).putLong(value).array();
  }

  @Override
  public void restore(byte[] data) {
    value = ByteBuffer.wrap(data).getLong();
    restores.incrementAndGet();
  }

  long value() {
    return value;
  }

  int appliedTimes(String command) {
    AtomicInteger n = applies.get(command);
    return n == null ? 0 : n.get();
  }

  static long decode(byte[] answer) {
    return ByteBuffer.wrap(answer).getLong();
  }
}

package dev.raftflow.examples.kv;

import dev.raftflow.engine.session.StateMachine;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The KV map as a {@link StateMachine}: a sorted map of UTF-8 keys to byte values, changed by
 * {@link KvCommand}s and answered with {@link KvAnswer}s. Run it through the engine's {@code
 * ExactlyOnceService}, which calls {@link #apply}, {@link #snapshot} and {@link #restore} on the
 * node's loop thread, in log order.
 *
 * <p>{@link #get} and {@link #range} may be called from any thread: each sees the map as of one
 * applied command (a range is one consistent view, never half of a command's effect), so a read made
 * after the node's {@code readIndex()} completed is linearizable. Apply never throws: a malformed
 * command is answered {@link KvAnswer.Status#REJECTED} on every member alike.
 */
public final class KvStateMachine implements StateMachine {

  private static final byte SNAPSHOT_VERSION = 1;
  /** The most entries one range read returns. */
  public static final int MAX_RANGE_LIMIT = 10_000;

  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  /** Guarded by lock (written on the loop thread only). */
  private TreeMap<String, byte[]> map = new TreeMap<>();

  @Override
  public byte[] apply(long index, byte[] command) {
    KvCommand c;
    try {
      c = KvCommand.decode(command);
    } catch (MalformedKvDataException e) {
      return KvAnswer.rejected("malformed command at index " + index + ": " + e.getMessage()).encode();
    }
    lock.writeLock().lock();
    try {
      return execute(c).encode();
    } finally {
      lock.writeLock().unlock();
    }
  }

  private KvAnswer execute(KvCommand c) {
    if (c instanceof KvCommand.Put p) {
      return KvAnswer.applied(map.put(p.key(), p.value()));
    }
    if (c instanceof KvCommand.Delete d) {
      return KvAnswer.applied(map.remove(d.key()));
    }
    KvCommand.Cas cas = (KvCommand.Cas) c;
    byte[] current = map.get(cas.key());
    boolean holds = cas.expected() == null ? current == null : current != null && Arrays.equals(current, cas.expected());
    if (!holds) {
      return KvAnswer.notApplied(current);
    }
    map.put(cas.key(), cas.value());
    return KvAnswer.applied(current);
  }

  /** The value of {@code key}, or null when absent. Any thread. */
  public byte[] get(String key) {
    KvBytes.keyBytes(key);
    lock.readLock().lock();
    try {
      return map.get(key);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Up to {@code limit} entries with {@code from <= key < to}, in key order ({@code from} null: from
   * the first key; {@code to} null: to the last). Any thread.
   *
   * @throws IllegalArgumentException when {@code limit} is not in 1..{@value #MAX_RANGE_LIMIT}
   */
  public List<KvEntry> range(String from, String to, int limit) {
    checkLimit(limit);
    lock.readLock().lock();
    try {
      NavigableMap<String, byte[]> view = map;
      if (from != null && to != null && from.compareTo(to) >= 0) {
        return List.of();
      }
      if (from != null) {
        view = view.tailMap(from, true);
      }
      if (to != null) {
        view = view.headMap(to, false);
      }
      List<KvEntry> out = new ArrayList<>(Math.min(limit, view.size()));
      for (Map.Entry<String, byte[]> e : view.entrySet()) {
        if (out.size() == limit) {
          break;
        }
        out.add(new KvEntry(e.getKey(), e.getValue()));
      }
      return out;
    } finally {
      lock.readLock().unlock();
    }
  }

  static void checkLimit(int limit) {
    if (limit < 1 || limit > MAX_RANGE_LIMIT) {
      throw new IllegalArgumentException("a range limit is 1.." + MAX_RANGE_LIMIT + ", was " + limit);
    }
  }

  /** Keys in the map. Any thread. */
  public int size() {
    lock.readLock().lock();
    try {
      return map.size();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The whole map: {@code [version 1][count][key][value]...}. */
  @Override
  public byte[] snapshot() {
    lock.readLock().lock();
    try {
      int size = 5;
      List<byte[]> keys = new ArrayList<>(map.size());
      for (Map.Entry<String, byte[]> e : map.entrySet()) {
        byte[] k = KvBytes.keyBytes(e.getKey());
        keys.add(k);
        size += KvBytes.keySize(k) + KvBytes.valueSize(e.getValue());
      }
      ByteBuffer b = ByteBuffer.allocate(size);
      b.put(SNAPSHOT_VERSION).putInt(map.size());
      int i = 0;
      for (byte[] v : map.values()) {
        KvBytes.putKey(b, keys.get(i++));
        KvBytes.putValue(b, v);
      }
      return b.array();
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Replaces the map with the one {@code data} holds (from {@link #snapshot()}); an empty array is
   * an empty map.
   *
   * @throws MalformedKvDataException when {@code data} is not a snapshot (the map is left as it was)
   */
  @Override
  public void restore(byte[] data) {
    TreeMap<String, byte[]> restored = new TreeMap<>();
    if (data.length > 0) {
      ByteBuffer b = ByteBuffer.wrap(data);
      byte version = b.get();
      if (version != SNAPSHOT_VERSION) {
        throw new MalformedKvDataException("KV snapshot version " + version + " is not known");
      }
      int count = KvBytes.getInt(b, "entry count");
      if (count < 0) {
        throw new MalformedKvDataException("KV snapshot has a negative entry count (" + count + ")");
      }
      for (int i = 0; i < count; i++) {
        String key = KvBytes.getKey(b, "key " + i);
        if (restored.put(key, KvBytes.getValue(b, "value " + i)) != null) {
          throw new MalformedKvDataException("KV snapshot holds key '" + key + "' twice");
        }
      }
      KvBytes.end(b, "KV snapshot");
    }
    lock.writeLock().lock();
    try {
      map = restored;
    } finally {
      lock.writeLock().unlock();
    }
  }
}

package dev.raftflow.storage.chronicle;

/** Store options the tests run with. */
final class TestStoreOptions {

  /**
   * Small stores, for many nodes in one test: FSYNC, 4 MiB segments, a roll at every snapshot, 1
   * MiB blocks (batches up to 128 KiB, entries up to ~248 KiB), 500 ms Chronicle timeout and 64
   * KiB preallocated.
   */
  static final ChronicleLogStore.Options SMALL =
      new ChronicleLogStore.Options(Durability.FSYNC, 4L << 20, 0, 1L << 20, 1000, 500, false, 64L << 10);

  /** For the lab runs: inline (deterministic), page-cache durability (a lab crash is a process crash). */
  static final ChronicleLogStore.Options LAB = SMALL.withInline(true).withDurability(Durability.OS_CACHE);

  private TestStoreOptions() {}
}

package dev.raftflow.storage.chronicle;

/** Store options for the lab runs: inline (deterministic), page-cache durability (a lab crash is a process crash). */
final class LabStoreOptions {
  static final ChronicleLogStore.Options OPTIONS = ChronicleLogStore.Options.forTests()
      .withInline(true).withDurability(Durability.OS_CACHE);

  private LabStoreOptions() {}
}

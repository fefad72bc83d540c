/**
 * A durable {@link dev.raftflow.engine.spi.LogStore} on Chronicle Queue: {@link
 * dev.raftflow.storage.chronicle.ChronicleLogStore} (its Javadoc gives the directory layout,
 * durability and recovery rules) and its {@link dev.raftflow.storage.chronicle.Durability} policy
 * are the public API, with {@link dev.raftflow.storage.chronicle.ChronicleHostLogStore}, the
 * {@link dev.raftflow.engine.spi.HostLogStore} that keeps every group of a process in one queue;
 * the rest are their parts:
 *
 * <ul>
 *   <li>{@code StoreDirectory}: the directory's files, its lock and its storage-format file;
 *   <li>{@code Records}: the binary BATCH and SNAPSHOT records (storage format 2);
 *   <li>{@code QueueLog}, {@code CycleFiles}, {@code CycleClock}: the Chronicle queue, the map
 *       from Raft index to record, the cycle files (sync, preallocation, deletion);
 *   <li>{@code LogShape}: the event loop's check of each write against the log it leaves;
 *   <li>{@code WriterThread}, {@code RoundWriter}, {@code PendingWrite}: group commit on the I/O
 *       thread, from a handed-over write to its completed future;
 *   <li>{@code LogRecovery}, {@code LogReplay}, {@code AckFile}, {@code ResetFile}: replay on open,
 *       the acknowledged watermark, and the cut points that void a torn tail;
 *   <li>{@code SnapshotFiles}: snapshots in files of their own;
 *   <li>the host store's own: {@code GroupTable} (group ids to numbers), {@code TaggedRecords}
 *       (records tagged by group), {@code GroupLog} (one group's index, hard state and pins),
 *       {@code HostGroupStore} (a group's {@code LogStore}), {@code HostRoundWriter} (rounds of
 *       many groups' writes, compaction, writing forward) and {@code HostRecovery}.
 * </ul>
 */
package dev.raftflow.storage.chronicle;

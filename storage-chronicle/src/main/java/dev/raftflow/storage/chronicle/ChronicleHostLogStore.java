package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.spi.HostLogStore;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.LogWrite;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link HostLogStore} on one Chronicle queue: every group of the process writes its records,
 * tagged by group, to one queue in one directory, and one I/O thread makes a round of many groups'
 * writes durable with one sync (group commit across groups). Each group's {@link LogStore} (from
 * {@link #openGroup}) behaves as a {@link ChronicleLogStore} does: its own hard state, index of its
 * entries, suffix truncation and snapshot files ({@code snapshots/<group number>/}). The directory
 * layout, the records and recovery are described in {@code docs/storage-chronicle.md}. What it
 * promises:
 *
 * <ul>
 *   <li><b>Durability:</b> a group's write future completes once its batch is durable as {@link
 *       ChronicleLogStore.Options#durability()} defines it, in that group's call order; many groups' writes share
 *       one sync ({@link #syncCount()}).
 *   <li><b>Recovery:</b> {@link #open} replays the queue once and voids a torn tail. Damage inside
 *       the acknowledged region that belongs to one group (a record tagged with it) is refused by
 *       that group's {@code load()} with a {@link StoreRefusedException} naming the group, the file
 *       and the queue index; the other groups load. Damage no group can be blamed for (a document
 *       Chronicle cannot read, a damaged tag), a damaged watermark or another format are refused by
 *       {@link #open}.
 *   <li><b>Bounded disk:</b> a cycle file is deleted once no group needs a record in it. When
 *       the groups holding the oldest one are small (at most 1,024 live entries each), their
 *       records are written forward, unchanged, and the file goes; otherwise {@link
 *       #pinningGroups()} names them (ask them to snapshot).
 *   <li><b>Threading:</b> every method from any thread; each group's store is called from its
 *       group's loop. One host store per directory (a file lock).
 * </ul>
 */
public final class ChronicleHostLogStore implements HostLogStore {
  private static final Logger LOG = LoggerFactory.getLogger(ChronicleHostLogStore.class);

  private final StoreDirectory directory;
  private final ChronicleLogStore.Options options;
  private final Map<String, GroupLog> groups = new ConcurrentHashMap<>();
  private final Map<String, HostGroupStore> openGroups = new HashMap<>();
  private AckFile ack;
  private ResetFile resets;
  private GroupTable table;
  private QueueLog log;
  private HostRoundWriter rounds;
  private WriterThread writer; // null in inline mode
  private volatile boolean closed;
  private volatile Throwable failure;

  private ChronicleHostLogStore(StoreDirectory directory, ChronicleLogStore.Options options) {
    this.directory = directory;
    this.options = options;
  }

  /**
   * Opens (creating if absent) the host store in {@code dir} and recovers it: takes the
   * directory's lock, replays the shared queue, voids a torn tail, and starts the I/O thread.
   * {@link ChronicleLogStore.Options} apply as to a single store ({@code inline}: each write is
   * done on its caller's thread, under the host's lock).
   *
   * @throws StoreRefusedException if another store holds the directory, it holds another format,
   *     or damage in it cannot be pinned on one group (see the class comment)
   */
  public static ChronicleHostLogStore open(Path dir, ChronicleLogStore.Options options) {
    ChronicleHostLogStore host = new ChronicleHostLogStore(StoreDirectory.lock(dir), options);
    try {
      host.recover();
      return host;
    } catch (RuntimeException | IOException e) {
      host.releaseResources();
      throw host.refusal(e);
    }
  }

  public Path directory() {
    return directory.path();
  }

  private StoreRefusedException refusal(Exception e) {
    if (e instanceof StoreRefusedException r) {
      return r;
    }
    if (e instanceof IOException io) {
      Path file = io instanceof FileSystemException fse && fse.getFile() != null ? Path.of(fse.getFile()) : directory.path();
      return new StoreRefusedException(directory.path(), file, "cannot read or write the host store (" + io + ")",
          StoreRefusedException.Recovery.FIX_ACCESS, io);
    }
    return new StoreRefusedException(directory.path(), directory.queue(), "the shared queue cannot be read (" + e + ")",
        StoreRefusedException.Recovery.WIPE_AND_REJOIN, e);
  }

  private void recover() throws IOException {
    directory.checkFormat(TaggedRecords.FORMAT_NAME, TaggedRecords.FORMAT);
    directory.checkAckPresent();
    boolean created = !Files.exists(directory.ack()) || !Files.exists(groupsFile());
    ack = new AckFile(directory.ack());
    table = new GroupTable(groupsFile());
    if (ack.unreadable() && directory.firstCycleFile() == null) {
      ack.initialize();
    }
    if (created) {
      SnapshotFiles.syncDirectory(directory.path());
    }
    if (ack.unreadable()) {
      throw new StoreRefusedException(directory.path(), directory.ack(), "the acknowledged watermark is unreadable but"
          + " the shared log holds records: without it the store cannot tell a torn tail from lost acknowledged entries",
          StoreRefusedException.Recovery.WIPE_AND_REJOIN);
    }
    resets = new ResetFile(directory.resets());
    boolean tailDropped = CycleFileHeaders.checkBytes(directory, ack.queueIndex());
    log = new QueueLog(directory, options);
    if (tailDropped) {
      log.queue().refreshDirectoryListing();
    }
    CycleFileHeaders.checkStores(directory, log, ack.queueIndex());
    Map<Integer, GroupLog> byNumber = new HashMap<>();
    for (Map.Entry<String, Integer> e : table.live().entrySet()) {
      GroupLog g = new GroupLog(e.getKey(), e.getValue(), log, snapshotDir(e.getValue()));
      groups.put(g.id, g);
      byNumber.put(g.number, g);
    }
    removeDeletedSnapshotDirs();
    long lastGood = new HostRecovery(directory, log, ack, resets, table, byNumber).run();
    rounds = new HostRoundWriter(options, log, ack, lastGood, () -> List.copyOf(groups.values()));
    if (!options.inline()) {
      writer = new WriterThread("raftflow-chronicle-host-io-" + directory.path().getFileName(), rounds, ack,
          options.ackSyncIntervalMillis(), this::failed);
      writer.start();
    }
  }

  private Path groupsFile() {
    return directory.path().resolve("groups");
  }

  private Path snapshotDir(int number) {
    return directory.snapshots().resolve(Integer.toString(number));
  }

  /** Snapshot directories of groups deleted (a crash may have left one behind). */
  private void removeDeletedSnapshotDirs() throws IOException {
    if (!Files.isDirectory(directory.snapshots())) {
      return;
    }
    Set<String> live = new HashSet<>();
    for (GroupLog g : groups.values()) {
      live.add(Integer.toString(g.number));
    }
    try (Stream<Path> s = Files.list(directory.snapshots())) {
      for (Path p : s.toList()) {
        if (!live.contains(p.getFileName().toString())) {
          deleteTree(p);
        }
      }
    }
  }

  private void failed(Throwable t) {
    failure = t;
    LOG.error("host log store in {} failed; every group's writes fail from now on", directory.path(), t);
  }

  // ------------------------------------------------------------------------------------------
  // Groups

  @Override
  public synchronized LogStore openGroup(String groupId) {
    checkId(groupId);
    checkOpen();
    if (openGroups.containsKey(groupId)) {
      throw new IllegalStateException("group '" + groupId + "' is already open in " + directory.path());
    }
    GroupLog g = groups.get(groupId);
    try {
      if (g == null) {
        Files.createDirectories(directory.snapshots());
        int number = table.add(groupId); // durable before the group's first record
        g = new GroupLog(groupId, number, log, snapshotDir(number));
        SnapshotFiles.syncDirectory(directory.snapshots());
        SnapshotFiles.syncDirectory(directory.path());
        groups.put(groupId, g);
      } else if (g.loaded) {
        // reopened in this run: its state is what its records say now
        GroupLog fresh = new GroupLog(groupId, g.number, log, g.snapshotDir);
        synchronized (log) { // no compaction meanwhile: the records read stay
          HostRecovery.replayGroup(log, resets, fresh, g.neededFrom(), log.lastQueueIndex());
          groups.put(groupId, fresh);
        }
        g = fresh;
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot open group '" + groupId + "' in " + directory.path() + ": " + e, e);
    }
    HostGroupStore store = new HostGroupStore(this, g);
    openGroups.put(groupId, store);
    return store;
  }

  private static void checkId(String groupId) {
    if (groupId == null || groupId.isEmpty()) {
      throw new IllegalArgumentException("a group id must not be null or empty");
    }
    int bytes = groupId.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > GroupTable.MAX_ID_BYTES) {
      throw new IllegalArgumentException("group id of " + bytes + " bytes; at most " + GroupTable.MAX_ID_BYTES
          + " (UTF-8)");
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("host log store in " + directory.path() + " is closed");
    }
  }

  @Override
  public Set<String> groups() {
    return Set.copyOf(groups.keySet());
  }

  @Override
  public synchronized void deleteGroup(String groupId) {
    checkId(groupId);
    checkOpen();
    if (openGroups.containsKey(groupId)) {
      throw new IllegalStateException("group '" + groupId + "' is open; close its store before deleting it");
    }
    GroupLog g = groups.get(groupId);
    if (g == null) {
      return;
    }
    try {
      table.delete(groupId, g.number);
      groups.remove(groupId);
      deleteTree(g.snapshotDir);
      SnapshotFiles.syncDirectory(directory.snapshots());
    } catch (IOException e) {
      throw new IllegalStateException("cannot delete group '" + groupId + "' in " + directory.path() + ": " + e, e);
    }
    rounds.requestCompaction();
    submit(new PendingWrite(new LogWrite(null, null, List.of(), 0, 0), false, new CompletableFuture<>(), null));
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }

  /** Called by a group's store once it is closed. */
  synchronized void closed(HostGroupStore store) {
    openGroups.remove(store.id(), store);
  }

  // ------------------------------------------------------------------------------------------
  // Writes

  /** Hands a group's write to the I/O thread (or writes it now, inline); fails it when the host cannot. */
  void submit(PendingWrite p) {
    Throwable f = failure;
    if (closed || f != null) {
      p.future().completeExceptionally(new IllegalStateException("host log store in " + directory.path() + " is "
          + (f != null ? "failed" : "closed"), f));
      return;
    }
    if (writer == null) {
      synchronized (this) {
        try {
          rounds.write(List.of(p), false, false);
        } catch (Throwable t) {
          failed(t);
          p.future().completeExceptionally(t);
        }
      }
      return;
    }
    writer.submit(p);
    if (closed) {
      writer.failPending(new IllegalStateException("host log store in " + directory.path() + " is closed"));
    }
  }

  ChronicleLogStore.Options options() {
    return options;
  }

  // ------------------------------------------------------------------------------------------
  // Figures

  /** Number of sync rounds of the shared queue so far: with the number of writes, the group commit's effect. */
  public long syncCount() {
    HostRoundWriter r = rounds;
    return r == null ? 0 : r.syncCount();
  }

  /** Number of cycle files of the shared queue. */
  public int cycleFileCount() {
    synchronized (log) {
      int first = log.queue().firstCycle();
      int last = log.queue().lastCycle();
      return first == Integer.MAX_VALUE || last == Integer.MIN_VALUE ? 0 : log.queue().listCyclesBetween(first, last).size();
    }
  }

  /**
   * The groups that need a record in the oldest cycle file while later ones exist: those whose
   * snapshots would let compaction delete it (ask them to snapshot). Empty when the oldest file is
   * the one being written.
   */
  @Override
  public Set<String> pinningGroups() {
    Set<String> out = new LinkedHashSet<>();
    synchronized (log) {
      int first = log.queue().firstCycle();
      long lastQi = log.lastQueueIndex();
      if (first == Integer.MAX_VALUE || lastQi == QueueLog.NONE || first >= QueueLog.cycleOf(lastQi)) {
        return out;
      }
      for (GroupLog g : groups.values()) {
        long from = g.neededFrom();
        if (from != QueueLog.NONE && QueueLog.cycleOf(from) <= first) {
          out.add(g.id);
        }
      }
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // Shutdown

  /** Closes every group's store, writes and syncs everything handed over, releases the directory. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (HostGroupStore s : new ArrayList<>(openGroups.values())) {
      s.hostClosing();
    }
    openGroups.clear();
    if (writer != null) {
      writer.closeAndJoin();
      writer.failPending(new IllegalStateException("host log store in " + directory.path() + " is closed"));
    } else if (failure == null) {
      try {
        rounds.write(List.of(), true, true);
      } catch (IOException e) {
        LOG.warn("host log in {}: final sync failed", directory.path(), e);
      }
    }
    releaseResources();
  }

  private void releaseResources() {
    if (log != null) {
      log.close();
    }
    QueueLog.closeQuietly(ack);
    QueueLog.closeQuietly(resets);
    QueueLog.closeQuietly(table);
    directory.release();
  }
}

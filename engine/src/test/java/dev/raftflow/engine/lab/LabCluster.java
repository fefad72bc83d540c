package dev.raftflow.engine.lab;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.NodeState;
import dev.raftflow.engine.RaftException;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.sim.SimNetwork;
import dev.raftflow.engine.sim.SimThread;
import dev.raftflow.engine.sim.SimTransport;
import dev.raftflow.engine.sim.Simulation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;

/**
 * The lab's tester harness ({@code config.go}) on a {@link Simulation}: n {@link RaftNode}s on a
 * {@link SimNetwork}, each with a persister ({@link StoreHandle}), the plain or snapshotting
 * applier with the lab's checks, and the lab's helpers ({@link #checkOneLeader}, {@link #one},
 * {@link #waitFor}, ...), all with the lab's timings in virtual time.
 *
 * <p>Threading: use it from the test thread that built it, or from threads made with {@link
 * #go}. Failures are {@link AssertionError}s (the lab's {@code t.Fatalf}); an apply error or a
 * failing client thread aborts the test at once.
 */
public final class LabCluster implements AutoCloseable {

  /** The lab's RaftElectionTimeout, used only for sleeps. */
  public static final long RAFT_ELECTION_TIMEOUT = 1000;
  /** The snapshot applier snapshots after each index i with (i + 1) % this == 0. */
  public static final int SNAPSHOT_INTERVAL = 10;
  /** Part D: the persisted Raft state must stay below this many bytes. */
  public static final int MAX_LOG_SIZE = 2000;
  /** Per-test limit, in virtual time from make_config. */
  public static final long TEST_LIMIT_MS = 120_000;
  /** How long a start() may take to be answered by the node's loop (the lab's Start is immediate). */
  static final long START_LIMIT_MS = 1_000;

  /** What the lab's {@code Start()} returns. */
  public record StartResult(long index, long term, boolean isLeader) {}

  /** What {@code nCommitted} returns: how many servers applied the index, and the value. */
  public record Committed(int count, Object command) {}

  private final String name;
  private final int n;
  private final boolean snapshotMode;
  private final Simulation sim;
  private final SimNetwork net;
  private final Random rand;
  private final PersisterFactory persisters;
  private final RaftOptions options;
  private final List<String> ids = new ArrayList<>();
  private final RaftNode[] rafts;
  private final Applier[] appliers;
  private final StoreHandle[] saved;
  private final List<StoreHandle> orphans = new ArrayList<>();
  private final boolean[] connected;
  private final List<Map<Long, Object>> logs = new ArrayList<>();
  private final long[] lastApplied;
  private final String[] applyErr;
  private long maxIndex;
  private long maxIndex0;
  private boolean finished;
  private final long startMs;
  private final long realStartNanos;
  private long t0Ms;
  private long rpcs0;
  private long bytes0;
  private LabResults.Figures figures;

  private LabCluster(Builder b) {
    this.name = b.name;
    this.n = b.servers;
    this.snapshotMode = b.snapshots;
    this.persisters = b.persisters;
    this.options = b.options;
    this.realStartNanos = System.nanoTime();
    this.sim = new Simulation(b.seed);
    this.rand = sim.random();
    this.net = new SimNetwork(sim, sim.newRandom());
    this.rafts = new RaftNode[n];
    this.appliers = new Applier[n];
    this.saved = new StoreHandle[n];
    this.connected = new boolean[n];
    this.lastApplied = new long[n];
    this.applyErr = new String[n];
    for (int i = 0; i < n; i++) {
      ids.add(String.valueOf(i));
      logs.add(new HashMap<>());
    }
    this.startMs = sim.nowMillis();
    setUnreliable(b.unreliable);
    // the lab turns "long delays" on here: with one-way messages they change nothing observable
    for (int i = 0; i < n; i++) {
      start1(i);
    }
    for (int i = 0; i < n; i++) {
      connect(i);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  // ------------------------------------------------------------------ servers

  /** The lab's crash1: disconnect, delete the server, keep only what was persisted, kill. */
  public void crash1(int i) {
    disconnect(i);
    net.deleteServer(ids.get(i));
    if (saved[i] != null) {
      orphans.add(saved[i]);
      saved[i] = saved[i].copy();
    }
    RaftNode rf = rafts[i];
    if (rf != null) {
      appliers[i].kill();
      rf.close();
      rafts[i] = null;
      appliers[i] = null;
    }
    if (saved[i] != null) {
      orphans.add(saved[i]);
      saved[i] = saved[i].copy();
    }
  }

  /** The lab's start1: crash, fresh ends, persister copy, load its snapshot into the record, boot. */
  public void start1(int i) {
    crash1(i);
    SimTransport transport = net.transport(ids.get(i));
    lastApplied[i] = 0;
    if (saved[i] != null) {
      orphans.add(saved[i]);
      saved[i] = saved[i].copy();
      byte[] snapshot = saved[i].snapshotData();
      if (snapshot != null && snapshot.length > 0) {
        String err = ingestSnap(i, snapshot, -1);
        if (err != null) {
          fatal(err);
        }
      }
    } else {
      saved[i] = persisters.create(ids.get(i));
    }
    RaftNode rf = RaftNode.builder()
        .id(ids.get(i))
        .members(ids)
        .transport(transport)
        .logStore(saved[i].store())
        .options(options)
        .scheduler(sim.scheduler())
        .nanoClock(sim::nowNanos)
        .random(sim.newRandom())
        .start();
    rafts[i] = rf;
    appliers[i] = new Applier(i, rf);
    rf.applied().subscribe(appliers[i]);
  }

  /**
   * An independent copy of what server {@code i} holds durably now, for {@link #restartFrom}: an
   * operator's backup of its directory.
   */
  public StoreHandle backup(int i) {
    StoreHandle copy = saved[i].copy();
    orphans.add(copy);
    return copy;
  }

  /**
   * Crashes server {@code i} and boots it from {@code backup} (taken earlier by {@link #backup}):
   * a member restored from an older copy of its directory, which forgets entries it acknowledged
   * since. Not connected yet.
   */
  public void restartFrom(int i, StoreHandle backup) {
    crash1(i);
    orphans.add(saved[i]);
    saved[i] = backup.copy();
    start1(i);
  }

  /** Attaches server i to the net: links to every connected server come up. */
  public void connect(int i) {
    connected[i] = true;
    net.connect(ids.get(i));
  }

  /** Detaches server i from the net; it keeps running. */
  public void disconnect(int i) {
    connected[i] = false;
    net.disconnect(ids.get(i));
  }

  public boolean isConnected(int i) {
    return connected[i];
  }

  /** Whether server i runs (has not crashed since its last start). */
  public boolean isAlive(int i) {
    return rafts[i] != null;
  }

  public int servers() {
    return n;
  }

  public void setUnreliable(boolean unreliable) {
    net.setReliable(!unreliable);
  }

  public void setLongReordering(boolean on) {
    net.setLongReordering(on);
  }

  // ------------------------------------------------------------------ the Raft API

  /** The lab's {@code rafts[i].Start(cmd)}: (index, term, isLeader), without waiting for commit. */
  public StartResult start(int i, Object cmd) {
    RaftNode rf = rafts[i];
    if (rf == null) {
      throw new IllegalStateException("Start() on server " + i + ", which is not running");
    }
    CompletableFuture<LogPosition> f = rf.propose(LabCommand.encode(cmd));
    try {
      LogPosition p = sim.await(f, START_LIMIT_MS);
      return new StartResult(p.index(), p.term(), true);
    } catch (RaftException e) {
      return new StartResult(-1, rf.state().term(), false);
    }
  }

  /** {@code RaftNode#submit} at server {@code i}: completes once applied there; the future is not awaited. */
  public CompletableFuture<LogPosition> submit(int i, Object cmd) {
    RaftNode rf = rafts[i];
    if (rf == null) {
      throw new IllegalStateException("submit() on server " + i + ", which is not running");
    }
    return rf.submit(LabCommand.encode(cmd)).toFuture();
  }

  /** A linearizable read ({@code RaftNode#readIndex()}) at server {@code i}; the future is not awaited. */
  public CompletableFuture<Long> readIndex(int i) {
    RaftNode rf = rafts[i];
    if (rf == null) {
      throw new IllegalStateException("readIndex() on server " + i + ", which is not running");
    }
    return rf.readIndex();
  }

  /** Hands leadership from server {@code i} to server {@code target}; the future is not awaited. */
  public CompletableFuture<Void> transferLeadership(int i, int target) {
    RaftNode rf = rafts[i];
    if (rf == null) {
      throw new IllegalStateException("transferLeadership() on server " + i + ", which is not running");
    }
    return rf.transferLeadership(rf.members().get(target));
  }

  /**
   * One round of the lab's churn: with probability 0.2 disconnect a random server, with 0.5
   * restart a random server if it is crashed and connect it, with 0.2 crash a random server.
   */
  public void churnRound() {
    if (randInt() % 1000 < 200) {
      disconnect(randInt() % n);
    }
    if (randInt() % 1000 < 500) {
      int i = randInt() % n;
      if (!isAlive(i)) {
        start1(i);
      }
      connect(i);
    }
    if (randInt() % 1000 < 200) {
      int i = randInt() % n;
      if (isAlive(i)) {
        crash1(i);
      }
    }
  }

  /** Restarts every crashed server and connects every server. */
  public void restartAndConnectAll() {
    for (int i = 0; i < n; i++) {
      if (!isAlive(i)) {
        start1(i);
      }
      connect(i);
    }
  }

  /** Sleeps in 10 ms steps, at most {@code maxMillis}, until {@code f} is done; whether it is. */
  public boolean settle(CompletableFuture<?> f, long maxMillis) {
    for (long waited = 0; !f.isDone() && waited < maxMillis; waited += 10) {
      sleep(10);
    }
    return f.isDone();
  }

  /** Whether server {@code i}'s applier has recorded {@code index} (in this or an earlier run). */
  public boolean hasApplied(int i, long index) {
    return logs.get(i).containsKey(index);
  }

  /** Server {@code i}'s counters. */
  public dev.raftflow.engine.NodeMetrics metrics(int i) {
    return rafts[i].metrics();
  }

  /** The lab's {@code GetState()}: the term and whether the server believes it leads. */
  public NodeState state(int i) {
    RaftNode rf = rafts[i];
    if (rf == null) {
      throw new IllegalStateException("GetState() on server " + i + ", which is not running");
    }
    return rf.state();
  }

  // ------------------------------------------------------------------ appliers

  /** One server's apply-stream consumer: the lab's applier or applierSnap, as configured. */
  private final class Applier extends BaseSubscriber<ApplyEvent> {
    private final int i;
    private final RaftNode rf;
    private boolean dead;

    Applier(int i, RaftNode rf) {
      this.i = i;
      this.rf = rf;
    }

    void kill() {
      dead = true;
      cancel();
    }

    @Override
    protected void hookOnSubscribe(Subscription s) {
      s.request(Long.MAX_VALUE);
    }

    @Override
    protected void hookOnNext(ApplyEvent ev) {
      if (dead) {
        return;
      }
      String err;
      try {
        err = snapshotMode ? applySnap(i, rf, ev) : apply(i, ev);
      } catch (RuntimeException e) {
        err = "server " + i + " apply of " + ev + " failed: " + e;
      }
      if (err != null) {
        applyErr[i] = err;
        sim.fail(new AssertionError("apply error: " + err));
      }
    }

    @Override
    protected void hookOnError(Throwable t) {
      if (!dead) {
        sim.fail(new AssertionError("server " + i + ": apply stream failed: " + t, t));
      }
    }
  }

  private String apply(int i, ApplyEvent ev) {
    if (!(ev instanceof ApplyEvent.Entry e)) {
      return null; // the plain applier ignores all but entries
    }
    // no-ops (the lab's scenarios make none; a read may) are recorded too, so order checks hold
    Object v = !e.isCommand() ? LabCommand.NOOP : LabCommand.decode(e.command());
    String err = checkLogs(i, e.index(), v);
    if (e.index() > 1 && !logs.get(i).containsKey(e.index() - 1)) {
      err = "server " + i + " apply out of order " + e.index();
    }
    return err;
  }

  private String applySnap(int i, RaftNode rf, ApplyEvent ev) {
    if (ev instanceof ApplyEvent.SnapshotInstalled s) {
      return ingestSnap(i, s.data(), s.index());
    }
    ApplyEvent.Entry e = (ApplyEvent.Entry) ev;
    String err = null;
    if (e.index() != lastApplied[i] + 1) {
      err = "server " + i + " apply out of order, expected index " + (lastApplied[i] + 1) + ", got " + e.index();
    }
    if (err == null) {
      boolean prevOk = logs.get(i).containsKey(e.index() - 1);
      err = checkLogs(i, e.index(), !e.isCommand() ? LabCommand.NOOP : LabCommand.decode(e.command()));
      if (e.index() > 1 && !prevOk) {
        err = "server " + i + " apply out of order " + e.index();
      }
    }
    lastApplied[i] = e.index();
    if ((e.index() + 1) % SNAPSHOT_INTERVAL == 0) {
      List<Object> xlog = new ArrayList<>();
      for (long j = 0; j <= e.index(); j++) {
        xlog.add(logs.get(i).get(j));
      }
      long index = e.index();
      rf.snapshot(index, new LabSnapshot(index, xlog).encode()).whenComplete((v, ex) -> {
        if (ex != null && !(ex instanceof RaftException)) {
          sim.fail(new AssertionError("server " + i + ": Snapshot(" + index + ") failed: " + ex, ex));
        }
      });
    }
    return err;
  }

  /** Value agreement at {@code index} across all servers; records the value. */
  private String checkLogs(int i, long index, Object v) {
    String err = null;
    for (int j = 0; j < n; j++) {
      Map<Long, Object> log = logs.get(j);
      if (log.containsKey(index) && !Objects.equals(log.get(index), v)) {
        err = "commit index=" + index + " server=" + i + " " + show(v) + " != server=" + j + " " + show(log.get(index));
      }
    }
    logs.get(i).put(index, v);
    maxIndex = Math.max(maxIndex, index);
    return err;
  }

  private String ingestSnap(int i, byte[] data, long index) {
    if (data == null) {
      return "nil snapshot";
    }
    LabSnapshot s;
    try {
      s = LabSnapshot.decode(data);
    } catch (IllegalArgumentException e) {
      return "snapshot Decode() error: " + e.getMessage();
    }
    if (index != -1 && index != s.lastIncludedIndex()) {
      return "server " + i + " snapshot doesn't match m.SnapshotIndex (" + s.lastIncludedIndex() + " != " + index + ")";
    }
    Map<Long, Object> log = new HashMap<>();
    for (int j = 0; j < s.commands().size(); j++) {
      if (s.commands().get(j) != null) {
        log.put((long) j, s.commands().get(j));
      }
    }
    logs.set(i, log);
    lastApplied[i] = s.lastIncludedIndex();
    return null;
  }

  // ------------------------------------------------------------------ checks

  /** Up to 10 tries, 450-549 ms apart, to find the leader of the highest term among connected servers. */
  public int checkOneLeader() {
    for (int iters = 0; iters < 10; iters++) {
      sleep(450 + rand.nextInt(100));
      TreeMap<Long, List<Integer>> leaders = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        if (connected[i]) {
          NodeState s = state(i);
          if (s.isLeader()) {
            leaders.computeIfAbsent(s.term(), t -> new ArrayList<>()).add(i);
          }
        }
      }
      for (Map.Entry<Long, List<Integer>> e : leaders.entrySet()) {
        if (e.getValue().size() > 1) {
          fatal("term " + e.getKey() + " has " + e.getValue().size() + " (>1) leaders");
        }
      }
      if (!leaders.isEmpty()) {
        return leaders.lastEntry().getValue().get(0);
      }
    }
    fatal("expected one leader, got none");
    return -1;
  }

  /** Every connected server must be in the same term; returns it (-1 when none is connected). */
  public long checkTerms() {
    long term = -1;
    for (int i = 0; i < n; i++) {
      if (connected[i]) {
        long xterm = state(i).term();
        if (term == -1) {
          term = xterm;
        } else if (term != xterm) {
          fatal("servers disagree on term");
        }
      }
    }
    return term;
  }

  /** No connected server may believe it leads. */
  public void checkNoLeader() {
    for (int i = 0; i < n; i++) {
      if (connected[i] && state(i).isLeader()) {
        fatal("expected no leader among connected servers, but " + i + " claims to be leader");
      }
    }
  }

  /** How many servers (any, even crashed) applied {@code index}, and the value; values must agree. */
  public Committed nCommitted(long index) {
    int count = 0;
    Object cmd = null;
    for (int i = 0; i < n; i++) {
      if (applyErr[i] != null) {
        fatal(applyErr[i]);
      }
      Map<Long, Object> log = logs.get(i);
      if (log.containsKey(index)) {
        Object cmd1 = log.get(index);
        if (count > 0 && !Objects.equals(cmd, cmd1)) {
          fatal("committed values do not match: index " + index + ", " + show(cmd) + ", " + show(cmd1));
        }
        count++;
        cmd = cmd1;
      }
    }
    return new Committed(count, cmd);
  }

  /**
   * The lab's {@code wait}: polls {@link #nCommitted} with sleeps of 10, 20, ... 640, then 1280 ms,
   * at most 30 times, until {@code n} servers applied the index; returns the value, or -1 as soon
   * as some server's term exceeds {@code startTerm} (when {@code startTerm > -1}).
   */
  public Object waitFor(long index, int nServers, long startTerm) {
    long to = 10;
    for (int iters = 0; iters < 30; iters++) {
      if (nCommitted(index).count() >= nServers) {
        break;
      }
      sleep(to);
      if (to < 1000) {
        to *= 2;
      }
      if (startTerm > -1) {
        for (RaftNode r : rafts) {
          if (r != null && r.state().term() > startTerm) {
            return -1;
          }
        }
      }
    }
    Committed c = nCommitted(index);
    if (c.count() < nServers) {
      fatal("only " + c.count() + " decided for index " + index + "; wanted " + nServers);
    }
    return c.command();
  }

  /**
   * The lab's {@code one}: a full agreement on {@code cmd} by at least {@code expectedServers}
   * servers, in at most 10 s; each attempt starts it on the connected servers round-robin and
   * waits up to 2 s; without {@code retry} a failed attempt fails the test. Returns the index.
   */
  public long one(Object cmd, int expectedServers, boolean retry) {
    long t0 = sim.nowMillis();
    int starts = 0;
    while (sim.nowMillis() - t0 < 10_000 && !finished) {
      long index = -1;
      for (int si = 0; si < n; si++) {
        starts = (starts + 1) % n;
        if (connected[starts] && rafts[starts] != null) {
          StartResult r = start(starts, cmd);
          if (r.isLeader()) {
            index = r.index();
            break;
          }
        }
      }
      if (index != -1) {
        long t1 = sim.nowMillis();
        while (sim.nowMillis() - t1 < 2_000) {
          Committed c = nCommitted(index);
          if (c.count() > 0 && c.count() >= expectedServers && Objects.equals(c.command(), cmd)) {
            return index;
          }
          sleep(20);
        }
        if (!retry) {
          fatal("one(" + show(cmd) + ") failed to reach agreement");
        }
      } else {
        sleep(50);
      }
    }
    if (!finished) {
      fatal("one(" + show(cmd) + ") failed to reach agreement");
    }
    return -1;
  }

  /** The lab's LogSize(): the largest persisted Raft state over all servers. */
  public long logSize() {
    long max = 0;
    for (StoreHandle s : saved) {
      if (s != null) {
        max = Math.max(max, s.raftStateSize());
      }
    }
    return max;
  }

  /** Requests dispatched to server i's current incarnation. */
  public long rpcCount(int i) {
    return net.rpcCount(ids.get(i));
  }

  public long rpcTotal() {
    return net.rpcTotal();
  }

  public long bytesTotal() {
    return net.bytesTotal();
  }

  // ------------------------------------------------------------------ time, threads, randomness

  /** Sleeps in virtual time (on the test thread or a {@link #go} thread). */
  public void sleep(long millis) {
    sim.sleep(millis);
  }

  /** Runs {@code body} as a concurrent client (the lab's goroutine) on the virtual clock. */
  public SimThread go(String threadName, Runnable body) {
    return sim.spawn(threadName, body);
  }

  /** The test's seeded random source. */
  public Random rand() {
    return rand;
  }

  /** A random non-negative int, as the lab's {@code rand.Int()} (our commands are 32-bit). */
  public int randInt() {
    return rand.nextInt(Integer.MAX_VALUE);
  }

  public Simulation simulation() {
    return sim;
  }

  public SimNetwork network() {
    return net;
  }

  public boolean isFinished() {
    return finished;
  }

  /** Virtual seconds since make_config. */
  public double virtualSeconds() {
    return (sim.nowMillis() - startMs) / 1000.0;
  }

  // ------------------------------------------------------------------ begin / end

  public void begin(String description) {
    System.out.println(description + " ...");
    t0Ms = sim.nowMillis();
    rpcs0 = rpcTotal();
    bytes0 = bytesTotal();
    maxIndex0 = maxIndex;
  }

  /** Checks the 120 s limit and prints (and records) the "Passed" line. */
  public LabResults.Figures end() {
    checkTimeout();
    sim.rethrowFailure();
    figures = new LabResults.Figures(name, sim.seed(), (sim.nowMillis() - t0Ms) / 1000.0, n, rpcTotal() - rpcs0,
        bytesTotal() - bytes0, maxIndex - maxIndex0, (System.nanoTime() - realStartNanos) / 1_000_000);
    System.out.println(figures.passedLine() + "   [" + name + " seed=" + sim.seed() + ", real " + figures.realMillis()
        + " ms]");
    System.out.println("      network: " + net.stats());
    LabResults.passed(figures);
    return figures;
  }

  /** The figures recorded by {@link #end()}, or null before. */
  public LabResults.Figures figures() {
    return figures;
  }

  private void checkTimeout() {
    if (sim.nowMillis() - startMs > TEST_LIMIT_MS) {
      fatal("test took longer than 120 seconds (" + virtualSeconds() + " s of virtual time)");
    }
  }

  /** The lab's cleanup: kills every server, stops client threads, releases persisters. */
  @Override
  public void close() {
    finished = true;
    for (int i = 0; i < n; i++) {
      if (rafts[i] != null) {
        appliers[i].kill();
        rafts[i].close();
        rafts[i] = null;
      }
    }
    if (sim.failure() == null) {
      try {
        sim.sleep(0); // let the nodes handle their close at this instant (stores get closed)
      } catch (AssertionError | RuntimeException ignored) {
        // the test is over; a failure here has no one left to report to
      }
    }
    sim.close();
    for (StoreHandle s : orphans) {
      s.discard();
    }
    for (StoreHandle s : saved) {
      if (s != null) {
        s.discard();
      }
    }
  }

  private void fatal(String message) {
    throw new AssertionError(message);
  }

  private static String show(Object v) {
    if (v instanceof String s && s.length() > 24) {
      return "\"" + s.substring(0, 20) + "...\"(" + s.length() + " chars)";
    }
    return String.valueOf(v);
  }

  /** Settings of {@link LabCluster}; the lab's {@code make_config(n, unreliable, snapshot)}. */
  public static final class Builder {
    private String name = "lab";
    private long seed = 1;
    private int servers = 3;
    private boolean unreliable;
    private boolean snapshots;
    private PersisterFactory persisters = PersisterFactory.memory();
    private RaftOptions options = LabOptions.raftOptions();

    public Builder name(String v) {
      this.name = v;
      return this;
    }

    public Builder seed(long v) {
      this.seed = v;
      return this;
    }

    public Builder servers(int v) {
      this.servers = v;
      return this;
    }

    public Builder unreliable(boolean v) {
      this.unreliable = v;
      return this;
    }

    /** Whether servers run the snapshotting applier (part D). */
    public Builder snapshots(boolean v) {
      this.snapshots = v;
      return this;
    }

    public Builder persisters(PersisterFactory v) {
      this.persisters = Objects.requireNonNull(v);
      return this;
    }

    public Builder options(RaftOptions v) {
      this.options = Objects.requireNonNull(v);
      return this;
    }

    /** Starts every server and connects them all. */
    public LabCluster build() {
      return new LabCluster(this);
    }
  }
}

package dev.raftflow.engine.core.script;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.Membership;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.Role;
import dev.raftflow.engine.core.Outcome;
import dev.raftflow.engine.core.RaftCore;
import dev.raftflow.engine.core.Ready;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The scripts' driver of one {@link RaftCore}: the only class of the script runner that calls the
 * core. It plays a node's part of the Ready contract: after every input it takes the core's
 * {@link Ready}, sends {@code messages} at once, and queues the write with its {@code
 * messagesAfterWrite} until the script persists it; then it reports {@code persisted(seq)}. What may
 * not leave yet (the hold rule) the core keeps back itself. Its "disk" is a {@link MemoryLogStore}
 * that keeps only what was persisted, so a crash loses the pending writes and a restart rebuilds the
 * core from the store.
 *
 * <p>Everything it does is printed as lines to the output given at construction: role, term,
 * leader and commit changes, messages sent or held, writes, reads, apply events. Deterministic for
 * a given seed. Not thread-safe.
 */
final class ScriptMember {

  /** A write the core asked for, with the messages that must wait until it is durable. */
  private record PendingWrite(LogWrite write, List<Message> after) {}

  private final String id;
  private final List<String> bootstrapVoters;
  private final RaftOptions options;
  private final long seed;
  /** Queues a message on the network; false when the network lost it (a cut link). */
  private final Predicate<Message> network;
  private final Consumer<String> out;
  private final MemoryLogStore disk = new MemoryLogStore();
  private final ArrayDeque<PendingWrite> writes = new ArrayDeque<>();
  /** The service's state: the commands applied, in order (a snapshot carries them joined by ','). */
  private final List<String> serviceState = new ArrayList<>();
  private RaftCore core;
  private int incarnation;
  private boolean up;
  private String lastStatus;

  ScriptMember(String id, List<String> bootstrapVoters, RaftOptions options, long seed, Predicate<Message> network,
      Consumer<String> out) {
    this.id = id;
    this.bootstrapVoters = List.copyOf(bootstrapVoters);
    this.options = options;
    this.seed = seed;
    this.network = network;
    this.out = out;
    start();
  }

  private void start() {
    core = new RaftCore(id, bootstrapVoters, options, new Random(seed * 1_000_003L + id.hashCode() + incarnation),
        disk.load());
    incarnation++;
    up = true;
    lastStatus = status();
  }

  String id() {
    return id;
  }

  boolean up() {
    return up;
  }

  // ------------------------------------------------------------------ inputs

  void tick() {
    core.tick();
    afterInput();
  }

  /** As its host does when the leader's host stops answering. */
  void wake() {
    core.wake();
    afterInput();
  }

  /**
   * Ticks until the member starts a (pre-)campaign: its role becomes CANDIDATE or LEADER, or it asks
   * for (pre-)votes. Returns the ticks taken.
   *
   * @throws IllegalStateException when it has not campaigned after {@code max} ticks
   */
  int tickUntilCampaign(int max) {
    for (int n = 1; n <= max; n++) {
      long term = core.term();
      Role role = core.role();
      core.tick();
      boolean campaigned = core.term() > term || role != Role.LEADER && core.role() == Role.LEADER;
      Ready rd = afterInput();
      campaigned |= anyVoteRequest(rd.messages()) || anyVoteRequest(rd.messagesAfterWrite());
      if (campaigned) {
        return n;
      }
    }
    throw new IllegalStateException(id + " did not campaign within " + max + " ticks (role " + core.role()
        + ", may campaign " + core.mayCampaign() + ")");
  }

  private static boolean anyVoteRequest(List<Message> ms) {
    return ms.stream().anyMatch(m -> m instanceof RequestVote);
  }

  /** Hands a message to the core, which may refuse it (an answer from a stranger). */
  void receive(Message m) {
    if (!core.step(m)) {
      out.accept(id + ": refused " + Fmt.message(m));
      return;
    }
    afterInput();
  }

  long propose(List<String> commands) {
    List<byte[]> bytes = new ArrayList<>();
    for (String c : commands) {
      bytes.add(c.getBytes(StandardCharsets.UTF_8));
    }
    long index = core.propose(bytes);
    afterInput();
    return index;
  }

  boolean requestRead(long readId) {
    boolean ok = core.requestRead(readId);
    afterInput();
    return ok;
  }

  boolean transferLeadership(String target) {
    boolean ok = core.transferLeadership(target);
    afterInput();
    return ok;
  }

  long proposeMembership(Membership target) {
    long index = core.proposeMembership(target, true);
    afterInput();
    return index;
  }

  /** Snapshots the service's state at its applied index; false when that is not past the last snapshot. */
  boolean snapshot() {
    byte[] data = String.join(",", serviceState).getBytes(StandardCharsets.UTF_8);
    boolean ok = core.snapshotTaken(core.appliedIndex(), data);
    afterInput();
    return ok;
  }

  /** Takes every committed entry (and a pending snapshot) from the core and applies it to the service. */
  void apply() {
    for (ApplyEvent ev : core.takeApply(Integer.MAX_VALUE)) {
      out.accept(id + ": apply " + Fmt.apply(ev));
      if (ev instanceof ApplyEvent.SnapshotInstalled s) {
        serviceState.clear();
        String text = new String(s.data(), StandardCharsets.UTF_8);
        if (!text.isEmpty()) {
          serviceState.addAll(List.of(text.split(",")));
        }
      } else if (ev instanceof ApplyEvent.Entry e && e.isCommand()) {
        serviceState.add(new String(e.command(), StandardCharsets.UTF_8));
      }
    }
    printStatusChange();
  }

  /**
   * Makes the oldest {@code count} pending writes durable, one at a time: store it, send the
   * messages that waited for it, tell the core.
   */
  void persist(int count) {
    for (int i = 0; i < count && !writes.isEmpty(); i++) {
      PendingWrite pw = writes.pollFirst();
      disk.write(pw.write);
      out.accept(id + ": durable " + Fmt.write(pw.write));
      sendAll(pw.after);
      core.persisted(pw.write.seq());
      afterInput();
    }
  }

  int pendingWrites() {
    return writes.size();
  }

  /** Stops the member: writes not yet durable are lost, so are the messages waiting for them. */
  void crash() {
    up = false;
    writes.clear();
    serviceState.clear();
    out.accept(id + ": crashed");
  }

  /** Starts the member again from what its disk holds. */
  void restart() {
    start();
    out.accept(id + ": restarted " + status());
  }

  // ------------------------------------------------------------------ the Ready contract

  private Ready afterInput() {
    Ready rd = core.ready();
    printStatusChange();
    sendAll(rd.messages());
    if (!rd.write().isEmpty()) {
      out.accept(id + ": write " + Fmt.write(rd.write()));
      for (Message m : rd.messagesAfterWrite()) {
        out.accept(id + ": after write " + Fmt.message(m));
      }
      writes.addLast(new PendingWrite(rd.write(), rd.messagesAfterWrite()));
    }
    for (Outcome o : rd.outcomes()) {
      out.accept(id + ": " + Fmt.outcome(o));
    }
    return rd;
  }

  private void sendAll(List<Message> ms) {
    for (Message m : ms) {
      boolean queued = network.test(m);
      out.accept(id + ": send " + Fmt.message(m) + (queued ? "" : "  (lost: link cut)"));
    }
  }

  private void printStatusChange() {
    String now = status();
    if (!now.equals(lastStatus)) {
      out.accept(id + ": now " + now);
      lastStatus = now;
    }
  }

  private String status() {
    return core.role() + " term=" + core.term() + " leader=" + (core.leaderId() == null ? "-" : core.leaderId())
        + " commit=" + core.commitIndex();
  }

  // ------------------------------------------------------------------ state

  /** The member's state on one line, then a leader's view of each follower, one line each. */
  List<String> describe() {
    List<String> lines = new ArrayList<>();
    if (!up) {
      PersistentState onDisk = disk.load();
      long last = onDisk.entries().isEmpty()
          ? (onDisk.snapshot() == null ? 0 : onDisk.snapshot().index())
          : onDisk.entries().get(onDisk.entries().size() - 1).index();
      lines.add(id + ": down (disk: term=" + onDisk.hardState().term() + " vote="
          + (onDisk.hardState().votedFor() == null ? "-" : onDisk.hardState().votedFor()) + " last=" + last + ")");
      return lines;
    }
    lines.add(id + ": " + core.role() + " term=" + core.term() + " vote=" + (core.votedFor() == null ? "-" : core.votedFor())
        + " leader=" + (core.leaderId() == null ? "-" : core.leaderId()) + " commit=" + core.commitIndex()
        + " applied=" + core.appliedIndex() + " last=" + core.lastIndex() + "/" + core.lastTerm()
        + " durable=" + core.durableIndex() + (core.snapshotIndex() > 0 ? " snap=" + core.snapshotIndex() : "")
        + " conf=" + Fmt.membership(core.membership()) + "@" + core.membershipIndex()
        + (writes.isEmpty() ? "" : " pending-writes=" + writes.size())
        + (core.leadTransferee() == null ? "" : " transferring-to=" + core.leadTransferee())
        + (core.quiet() ? " quiet" : ""));
    if (core.role() == Role.LEADER) {
      String summary = core.progressSummary(); // [b{REPLICATE match=3 next=4 inflight=0}, c{...}]
      String inner = summary.substring(1, summary.length() - 1);
      if (!inner.isEmpty()) {
        for (String p : inner.split("}, ")) {
          String s = p.endsWith("}") ? p.substring(0, p.length() - 1) : p;
          lines.add("  " + s.replaceFirst("\\{", ": "));
        }
      }
    }
    return lines;
  }

  /** The entries the member holds in memory, one line. */
  String log() {
    List<String> es = new ArrayList<>();
    for (long i = core.firstIndex(); i <= core.lastIndex(); i++) {
      es.add(Fmt.entry(core.entryAt(i)));
    }
    String base = core.snapshotIndex() > 0 ? "snap=" + core.snapshotIndex() + " " : "";
    return id + ": " + base + (es.isEmpty() ? "(no entries)" : String.join(", ", es));
  }
}

package dev.raftflow.engine.session;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.NodeClosedException;
import dev.raftflow.engine.codec.MalformedMessageException;
import dev.raftflow.engine.node.RaftNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Exactly-once commands for a service on a {@link RaftNode} (Raft thesis §6.3): the service hands
 * over a {@link StateMachine}; this layer owns the node's apply stream, keeps the group's {@link
 * SessionTable} in log order, calls the service only for commands not applied before, and answers
 * every try of a command with its first answer.
 *
 * <p><b>The log.</b> Every command entry of a group run this way is a {@link SessionCommand}: a
 * session's registration, command or closing, or a command outside any session ({@link
 * #submitUnsessioned}, applied every time, like a plain {@link RaftNode#submit}). Propose through
 * this layer only: an entry that is not a session envelope (a raw {@code node.submit}) is skipped on
 * every member, logged and counted ({@link #foreignEntries()}). The member that proposes an entry
 * stamps it with its clock ({@link SessionSettings#clock()}); sessions expire by that log-carried
 * time, so every member expires the same sessions at the same entry.
 *
 * <p><b>Snapshots.</b> With {@link SessionSettings#snapshotEvery()} it snapshots the session table
 * and the service's state together, at the same index, and restores both from a snapshot the node
 * installs or starts from.
 *
 * <p><b>Threads.</b> The service's {@link StateMachine} and the table run on the node's loop thread,
 * one entry at a time, in log order. Every public method is thread-safe and never blocks; the
 * returned {@link Mono}s are lazy and complete on the loop thread.
 *
 * <p><b>Errors.</b> A session's entry refused by the table fails with {@link
 * SessionRefusedException}; the node's own refusals pass through: {@code NotLeaderException}, {@code
 * OverloadedException}, {@code OutcomeUnknownException}, {@code ProposalDroppedException}, {@code
 * NodeClosedException}. After any of these but the first, sending the same (session, seq) again, to
 * this member or the next leader's layer, is safe.
 */
public final class ExactlyOnceService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ExactlyOnceService.class);
  private static final byte[] EMPTY = new byte[0];

  private final RaftNode node;
  private final StateMachine service;
  private final SessionSettings settings;
  /** Callers waiting for the answer of a (session, seq); a command without a session waits on (0, tag). */
  private final Map<Key, List<MonoSink<byte[]>>> waiters = new ConcurrentHashMap<>();
  private final AtomicLong foreign = new AtomicLong();
  private final Disposable subscription;
  // apply thread only
  private SessionTable table;
  private long lastSnapshotIndex;
  /** Sees every verdict in log order, on the apply thread (tests). */
  private final BiConsumer<Long, SessionTable.Verdict> verdicts;
  private volatile long appliedIndex;
  private volatile int openSessions;

  private record Key(long session, long seq) {}

  private ExactlyOnceService(RaftNode node, StateMachine service, SessionSettings settings,
      BiConsumer<Long, SessionTable.Verdict> verdicts) {
    this.node = node;
    this.verdicts = verdicts;
    this.service = service;
    this.settings = settings;
    this.table = new SessionTable(settings.sessionTimeout().toMillis(), settings.maxUnacknowledgedAnswers());
    this.subscription = node.applied().subscribe(this::onApply, this::onEnd, () -> onEnd(null));
  }

  /**
   * Runs {@code service} on {@code node}'s apply stream (which it takes: the node must have no other
   * subscriber to {@link RaftNode#applied()}, or this fails with {@link IllegalStateException}).
   */
  public static ExactlyOnceService start(RaftNode node, StateMachine service, SessionSettings settings) {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(settings, "settings");
    return new ExactlyOnceService(node, service, settings, (i, v) -> {});
  }

  /** {@link #start}, with {@code observer} seeing every verdict in log order on the apply thread (tests). */
  static ExactlyOnceService start(RaftNode node, StateMachine service, SessionSettings settings,
      BiConsumer<Long, SessionTable.Verdict> observer) {
    return new ExactlyOnceService(node, service, settings, observer);
  }

  /** The node this layer runs on. */
  public RaftNode node() {
    return node;
  }

  // ---------------------------------------------------------------- proposing

  /** Opens a session (a registration entry); completes once it is applied, on the leader only. */
  public Mono<LocalSession> openSession() {
    return register().map(id -> new LocalSession(this, id));
  }

  /**
   * Registers a session; completes with its id (the index of its entry) once applied here. A
   * registration whose outcome is unknown may have opened a session nobody uses: it expires.
   */
  public Mono<Long> register() {
    return Mono.defer(() -> node.submit(SessionCommand.register(now()).encode())).map(LogPosition::index);
  }

  /**
   * Proposes command {@code seq} of {@code session}, telling the group that every answer below
   * {@code ackedBelow} was delivered. Completes with the command's answer: from applying it, or the
   * first answer when it was applied before. Sending the same (session, seq) again after a failure
   * is safe (see the class comment). Fails with {@link IllegalArgumentException} for a session of 0,
   * a seq below 1 or {@code ackedBelow} above {@code seq}.
   */
  public Mono<byte[]> submit(long session, long seq, long ackedBelow, byte[] command) {
    Objects.requireNonNull(command, "command");
    return Mono.defer(() -> {
      if (session <= 0) {
        return Mono.error(new IllegalArgumentException("a session's id is positive, was " + session));
      }
      return propose(new Key(session, seq), SessionCommand.command(now(), session, seq, ackedBelow, command));
    });
  }

  /**
   * Proposes a command outside any session: applied each time it is committed, like {@link
   * RaftNode#submit}, with no duplicate detection (a retry after {@code OutcomeUnknownException} may
   * apply it twice). Completes with its answer.
   */
  public Mono<byte[]> submitUnsessioned(byte[] command) {
    Objects.requireNonNull(command, "command");
    return Mono.defer(() -> {
      long tag = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
      return propose(new Key(0, tag), SessionCommand.unsessioned(now(), tag, command));
    });
  }

  /**
   * Closes {@code session}: its answers are forgotten and its later commands refused. Completes once
   * the closing entry is applied here, also when the session was already closed or expired.
   */
  public Mono<Void> closeSession(long session) {
    return Mono.defer(() -> node.submit(SessionCommand.close(now(), session).encode())).then();
  }

  private long now() {
    return settings.clock().getAsLong();
  }

  private Mono<byte[]> propose(Key key, SessionCommand entry) {
    byte[] data = entry.encode();
    return Mono.create(sink -> {
      waiters.compute(key, (k, list) -> {
        List<MonoSink<byte[]>> l = list == null ? new ArrayList<>(1) : list;
        l.add(sink);
        return l;
      });
      sink.onCancel(() -> forget(key, sink));
      node.submit(data).subscribe(applied -> {
        // the apply stream answers before submit completes; still waiting means it never saw the entry
        if (forget(key, sink)) {
          sink.error(new IllegalStateException("entry " + applied + " applied without an answer for " + key));
        }
      }, e -> {
        if (forget(key, sink)) {
          sink.error(e);
        }
      });
    });
  }

  /** Removes one waiter; whether it was still waiting. */
  private boolean forget(Key key, MonoSink<byte[]> sink) {
    boolean[] removed = {false};
    waiters.computeIfPresent(key, (k, list) -> {
      removed[0] = list.remove(sink);
      return list.isEmpty() ? null : list;
    });
    return removed[0];
  }

  private void answer(Key key, byte[] answer, RuntimeException failure) {
    List<MonoSink<byte[]>> list = waiters.remove(key);
    if (list == null) {
      return;
    }
    for (MonoSink<byte[]> s : list) {
      if (failure != null) {
        s.error(failure);
      } else {
        s.success(answer);
      }
    }
  }

  // ---------------------------------------------------------------- the apply stream (loop thread)

  private void onApply(ApplyEvent ev) {
    Runnable answers = null;
    if (ev instanceof ApplyEvent.SnapshotInstalled s) {
      restore(s.data());
      lastSnapshotIndex = s.index();
    } else if (ev instanceof ApplyEvent.Entry e && e.isCommand()) {
      answers = applyEntry(e.index(), e.command());
    }
    appliedIndex = ev.index();
    openSessions = table.size();
    if (settings.snapshotEvery() > 0 && ev.index() - lastSnapshotIndex >= settings.snapshotEvery()) {
      lastSnapshotIndex = ev.index();
      node.snapshot(ev.index(), snapshot()).exceptionally(t -> {
        LOG.warn("{}: snapshot at {} not taken: {}", node.id(), ev.index(), t.toString());
        return null;
      });
    }
    if (answers != null) {
      answers.run(); // last: a caller who has its answer sees this entry applied
    }
  }

  /** Applies one entry; what to tell its waiters, or null. */
  private Runnable applyEntry(long index, byte[] data) {
    SessionCommand c;
    try {
      c = SessionCommand.decode(data);
    } catch (MalformedMessageException e) {
      foreign.incrementAndGet();
      LOG.warn("{}: entry {} is not a session entry, skipped: {}", node.id(), index, e.getMessage());
      return null;
    }
    SessionTable.Verdict v = table.apply(index, c);
    verdicts.accept(index, v);
    if (v instanceof SessionTable.Verdict.Apply a) {
      byte[] answer;
      RuntimeException failure = null;
      try {
        answer = service.apply(index, c.payload());
        answer = answer == null ? EMPTY : answer;
      } catch (RuntimeException e) {
        LOG.error("{}: the service failed applying entry {}; its answer is empty", node.id(), index, e);
        answer = EMPTY;
        failure = new IllegalStateException("the service failed applying entry " + index + ": " + e, e);
      }
      table.answered(a.session(), a.seq(), answer);
      byte[] result = answer;
      RuntimeException error = failure;
      return () -> answer(new Key(a.session(), a.seq()), result, error);
    }
    if (v instanceof SessionTable.Verdict.Duplicate d) {
      return () -> answer(new Key(d.session(), d.seq()), d.answer() == null ? EMPTY : d.answer(), null);
    }
    if (v instanceof SessionTable.Verdict.Refused r && r.seq() != 0) {
      return () -> answer(new Key(r.session(), r.seq()), null,
          new SessionRefusedException(r.session(), r.seq(), r.reason()));
    }
    return null;
  }

  private byte[] snapshot() {
    return new SessionSnapshot(table.encode(), Objects.requireNonNullElse(service.snapshot(), EMPTY)).encode();
  }

  private void restore(byte[] data) {
    SessionSnapshot s = SessionSnapshot.decode(data);
    table = SessionTable.decode(s.table());
    service.restore(s.service());
  }

  private void onEnd(Throwable error) {
    if (error != null) {
      LOG.warn("{}: apply stream ended: {}", node.id(), error.toString());
    }
    NodeClosedException closed = new NodeClosedException(node.id());
    for (Key k : List.copyOf(waiters.keySet())) {
      answer(k, null, closed);
    }
  }

  // ---------------------------------------------------------------- observing

  /** The index of the last entry or snapshot this layer took from the node. Any thread. */
  public long appliedIndex() {
    return appliedIndex;
  }

  /** Sessions open as of {@link #appliedIndex()}. Any thread. */
  public int openSessions() {
    return openSessions;
  }

  /** Command entries skipped because they were not session entries. Any thread. */
  public long foreignEntries() {
    return foreign.get();
  }

  /** Calls waiting for an answer (for tests). */
  int waiting() {
    return waiters.values().stream().mapToInt(List::size).sum();
  }

  /** Stops taking the apply stream; waiting calls fail with {@link NodeClosedException}. */
  @Override
  public void close() {
    subscription.dispose();
    onEnd(null);
  }
}

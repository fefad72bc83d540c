package dev.raftflow.engine.session;

import dev.raftflow.engine.codec.MalformedMessageException;
import dev.raftflow.engine.codec.Varint;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The client sessions of one group, kept by every member as it applies the log (Raft thesis §6.3):
 * which commands of each session were applied and their answers, so a command retried after a
 * timeout or a leader change is answered with its first outcome instead of being applied twice.
 *
 * <p>Deterministic: it changes only through {@link #apply} in log order, and time is the
 * log-carried clock of the entries ({@link SessionCommand#time()}, never read from the local
 * clock), so every member holds the same table after the same entries and expires the same
 * sessions at the same entry. A session expires when no entry of it came for {@code timeoutMillis}
 * of log time; an entry of an expired (or unknown) session is refused, since whether an earlier
 * try was applied can no longer be told. Answers are kept until the client says it has them
 * ({@link SessionCommand#ackedBelow()}), at most {@code maxAnswers} per session.
 *
 * <p>Kept in snapshots with {@link #encode()} / {@link #decode(byte[])}. Not thread-safe: owned by
 * the apply path.
 */
public final class SessionTable {

  /** What to do with an entry, decided in log order. */
  public sealed interface Verdict {
    /**
     * Apply the command, then record its answer with {@link #answered}. For a command without a
     * session ({@code session} 0, {@code seq} its tag) there is nothing to record.
     */
    record Apply(long session, long seq) implements Verdict {}

    /**
     * Applied before: answer with {@code answer}, do not apply again. {@code answer} is null while
     * the first application's answer is not recorded yet: answer with that one when it comes.
     */
    record Duplicate(long session, long seq, byte[] answer) implements Verdict {}

    /** A new session: {@code session} (the entry's index) is its id. */
    record Registered(long session) implements Verdict {}

    /** The session is closed. */
    record Closed(long session) implements Verdict {}

    /** Refused, not applied: {@code reason} says why (session expired or unknown, answer forgotten, too many unacknowledged). */
    record Refused(long session, long seq, Reason reason) implements Verdict {}
  }

  /** Why an entry was refused. */
  public enum Reason {
    /** No such session: never registered, closed, or expired. The client registers again. */
    UNKNOWN_SESSION,
    /** The client acknowledged this command's answer already, so it was forgotten. */
    ANSWER_FORGOTTEN,
    /** The session holds {@code maxAnswers} answers the client has not acknowledged. */
    TOO_MANY_UNACKNOWLEDGED
  }

  private static final byte ENCODING = 1;
  /** Marks an applied command whose answer is not recorded yet: a retry of it is still a duplicate. */
  private static final byte[] PENDING = new byte[0];

  private final long timeoutMillis;
  private final int maxAnswers;
  /** In order of last activity (oldest first): the log clock only moves forward. */
  private final LinkedHashMap<Long, Session> sessions = new LinkedHashMap<>();
  private long now;
  private long expired;

  private static final class Session {
    final long id;
    long lastActive;
    long ackedBelow = 1;
    /** Answers by seq; {@link #PENDING} for a command applied whose answer is not recorded yet. */
    final TreeMap<Long, byte[]> answers = new TreeMap<>();

    Session(long id, long lastActive) {
      this.id = id;
      this.lastActive = lastActive;
    }
  }

  /**
   * @param timeoutMillis log time without an entry of a session after which it expires (positive)
   * @param maxAnswers most unacknowledged answers one session may hold (positive)
   */
  public SessionTable(long timeoutMillis, int maxAnswers) {
    if (timeoutMillis <= 0 || maxAnswers <= 0) {
      throw new IllegalArgumentException("timeoutMillis and maxAnswers must be positive, were " + timeoutMillis
          + " and " + maxAnswers);
    }
    this.timeoutMillis = timeoutMillis;
    this.maxAnswers = maxAnswers;
  }

  /**
   * Takes the session entry at log {@code index}: moves the log clock, expires idle sessions, and
   * says what to do with it.
   */
  public Verdict apply(long index, SessionCommand c) {
    advance(c.time());
    return switch (c.kind()) {
      case REGISTER -> {
        sessions.put(index, new Session(index, now));
        yield new Verdict.Registered(index);
      }
      case CLOSE -> {
        Session s = sessions.remove(c.session());
        yield s == null ? new Verdict.Refused(c.session(), 0, Reason.UNKNOWN_SESSION) : new Verdict.Closed(c.session());
      }
      case COMMAND -> command(c);
    };
  }

  private Verdict command(SessionCommand c) {
    if (c.isUnsessioned()) {
      return new Verdict.Apply(0, c.seq()); // no session, no memory: applied every time
    }
    Session s = sessions.get(c.session());
    if (s == null) {
      return new Verdict.Refused(c.session(), c.seq(), Reason.UNKNOWN_SESSION);
    }
    touch(s);
    if (c.ackedBelow() > s.ackedBelow) {
      s.answers.headMap(c.ackedBelow()).clear();
      s.ackedBelow = c.ackedBelow();
    }
    if (c.seq() < s.ackedBelow) {
      return new Verdict.Refused(s.id, c.seq(), Reason.ANSWER_FORGOTTEN);
    }
    byte[] answer = s.answers.get(c.seq());
    if (answer != null) {
      return new Verdict.Duplicate(s.id, c.seq(), answer == PENDING ? null : answer);
    }
    if (s.answers.size() >= maxAnswers) {
      return new Verdict.Refused(s.id, c.seq(), Reason.TOO_MANY_UNACKNOWLEDGED);
    }
    s.answers.put(c.seq(), PENDING);
    return new Verdict.Apply(s.id, c.seq());
  }

  /**
   * Records the answer of a command applied on {@link Verdict.Apply}; later tries of it get it.
   * Ignored when the session ended meanwhile.
   */
  public void answered(long session, long seq, byte[] answer) {
    Session s = sessions.get(session);
    if (s != null && seq >= s.ackedBelow) {
      s.answers.put(seq, answer == null ? PENDING : answer);
    }
  }

  /** The log clock: the latest entry time seen, ms. */
  public long now() {
    return now;
  }

  /** Sessions open now. */
  public int size() {
    return sessions.size();
  }

  /** Sessions expired since this table was created (not kept in snapshots). */
  public long expiredCount() {
    return expired;
  }

  /** Whether {@code session} is open. */
  public boolean isOpen(long session) {
    return sessions.containsKey(session);
  }

  private void advance(long time) {
    if (time > now) {
      now = time;
    }
    Iterator<Session> it = sessions.values().iterator();
    while (it.hasNext()) {
      Session s = it.next();
      if (now - s.lastActive <= timeoutMillis) {
        break; // the rest were active later
      }
      it.remove();
      expired++;
    }
  }

  private void touch(Session s) {
    s.lastActive = now;
    sessions.remove(s.id);
    sessions.put(s.id, s); // to the end: the order stays by last activity
  }

  // ---------------------------------------------------------------- snapshots

  /** The table's state, for a snapshot; {@link #decode} restores an equal table. */
  public byte[] encode() {
    int size = 1 + Varint.MAX_LONG_BYTES * 4;
    for (Session s : sessions.values()) {
      size += Varint.MAX_LONG_BYTES * 4;
      for (Map.Entry<Long, byte[]> a : s.answers.entrySet()) {
        size += Varint.MAX_LONG_BYTES * 2 + a.getValue().length + 1;
      }
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.put(ENCODING);
    Varint.write(b, timeoutMillis);
    Varint.write(b, maxAnswers);
    Varint.write(b, now);
    Varint.write(b, sessions.size());
    for (Session s : sessions.values()) {
      Varint.write(b, s.id);
      Varint.write(b, s.lastActive);
      Varint.write(b, s.ackedBelow);
      Varint.write(b, s.answers.size());
      for (Map.Entry<Long, byte[]> a : s.answers.entrySet()) {
        Varint.write(b, a.getKey());
        boolean pending = a.getValue() == PENDING;
        b.put((byte) (pending ? 1 : 0));
        if (!pending) {
          Varint.write(b, a.getValue().length);
          b.put(a.getValue());
        }
      }
    }
    byte[] out = new byte[b.position()];
    b.flip().get(out);
    return out;
  }

  /**
   * Restores a table from {@link #encode()}.
   *
   * @throws MalformedMessageException when {@code data} is not such an encoding
   */
  public static SessionTable decode(byte[] data) {
    ByteBuffer b = ByteBuffer.wrap(data);
    if (!b.hasRemaining() || b.get() != ENCODING) {
      throw new MalformedMessageException("not a session table of encoding " + ENCODING);
    }
    try {
      SessionTable t = new SessionTable(Varint.read(b, "timeout"), (int) Varint.read(b, "maxAnswers"));
      t.now = Varint.read(b, "now");
      long count = Varint.read(b, "sessions");
      for (long i = 0; i < count; i++) {
        Session s = new Session(Varint.read(b, "session"), Varint.read(b, "lastActive"));
        s.ackedBelow = Varint.read(b, "ackedBelow");
        long answers = Varint.read(b, "answers");
        for (long j = 0; j < answers; j++) {
          long seq = Varint.read(b, "seq");
          byte pending = b.get();
          if (pending == 1) {
            s.answers.put(seq, PENDING);
          } else {
            byte[] a = new byte[(int) Varint.read(b, "answer length")];
            b.get(a);
            s.answers.put(seq, a);
          }
        }
        t.sessions.put(s.id, s);
      }
      if (b.hasRemaining()) {
        throw new MalformedMessageException(b.remaining() + " bytes after the session table");
      }
      return t;
    } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
      throw new MalformedMessageException("truncated or damaged session table: " + e);
    }
  }
}

package dev.raftflow.engine.session;

import dev.raftflow.engine.codec.MalformedMessageException;
import dev.raftflow.engine.codec.Varint;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a session's log entry carries: a registration, a command of a session, or its closing. Every
 * kind carries {@code time}, the leader's clock in milliseconds when it took the entry: sessions
 * expire by this log-carried time, so every member expires the same sessions at the same entry.
 *
 * <p>Encoding: {@code [format 1][kind][time varint]} then, for COMMAND, {@code [session varint][seq
 * varint][ackedBelow varint][payload...]}, for CLOSE {@code [session varint]}. {@link #decode}
 * throws {@link MalformedMessageException} on anything else. Immutable and thread-safe.
 *
 * @param kind what the entry does
 * @param time the leader's clock when it took the entry, ms since the epoch
 * @param session the session (COMMAND, CLOSE): the index of its REGISTER entry; 0 for REGISTER and
 *     for a command without a session ({@link #unsessioned}), which is applied every time it appears
 * @param seq the command's number within its session, from 1 (COMMAND); for a command without a
 *     session, a tag of the member that proposed it (to match the answer to its caller); 0 otherwise
 * @param ackedBelow every command of the session below this number has had its answer delivered,
 *     so the members may forget those answers (COMMAND); 0 otherwise
 * @param payload the service's command (COMMAND); empty otherwise
 */
public record SessionCommand(Kind kind, long time, long session, long seq, long ackedBelow, byte[] payload) {

  /** The first byte of every encoding. */
  public static final byte FORMAT = 1;

  /** What a session entry does. */
  public enum Kind {
    /** Opens a session; its id is this entry's index. */
    REGISTER,
    /** A command of a session, applied at most once. */
    COMMAND,
    /** Ends a session and forgets its answers. */
    CLOSE
  }

  public SessionCommand {
    Objects.requireNonNull(kind, "kind");
    payload = payload == null ? new byte[0] : payload;
    if (time < 0 || session < 0 || seq < 0 || ackedBelow < 0) {
      throw new IllegalArgumentException("negative field in " + kind + ": time " + time + ", session " + session
          + ", seq " + seq + ", ackedBelow " + ackedBelow);
    }
    if (kind == Kind.COMMAND && session == 0 && ackedBelow != 0) {
      throw new IllegalArgumentException("a command without a session has no ackedBelow, was " + ackedBelow);
    }
    if (kind == Kind.COMMAND && session != 0 && (seq == 0 || ackedBelow > seq)) {
      throw new IllegalArgumentException("a session's command needs a seq from 1 and ackedBelow <= seq, was session "
          + session + ", seq " + seq + ", ackedBelow " + ackedBelow);
    }
    if (kind == Kind.CLOSE && session == 0) {
      throw new IllegalArgumentException("closing needs a session");
    }
  }

  public static SessionCommand register(long time) {
    return new SessionCommand(Kind.REGISTER, time, 0, 0, 0, null);
  }

  public static SessionCommand command(long time, long session, long seq, long ackedBelow, byte[] payload) {
    return new SessionCommand(Kind.COMMAND, time, session, seq, ackedBelow, payload);
  }

  /**
   * A command outside any session: applied each time it is in the log, no duplicate detection.
   * {@code tag} only lets the member that proposed it find its caller again.
   */
  public static SessionCommand unsessioned(long time, long tag, byte[] payload) {
    return new SessionCommand(Kind.COMMAND, time, 0, tag, 0, payload);
  }

  /** Whether this is a command outside any session. */
  public boolean isUnsessioned() {
    return kind == Kind.COMMAND && session == 0;
  }

  public static SessionCommand close(long time, long session) {
    return new SessionCommand(Kind.CLOSE, time, session, 0, 0, null);
  }

  /** This entry with the leader's clock {@code time} (the leader stamps entries as it takes them). */
  public SessionCommand at(long time) {
    return new SessionCommand(kind, time, session, seq, ackedBelow, payload);
  }

  public byte[] encode() {
    int size = 2 + Varint.length(time);
    if (kind == Kind.COMMAND) {
      size += Varint.length(session) + Varint.length(seq) + Varint.length(ackedBelow) + payload.length;
    } else if (kind == Kind.CLOSE) {
      size += Varint.length(session);
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.put(FORMAT).put((byte) kind.ordinal());
    Varint.write(b, time);
    if (kind == Kind.COMMAND) {
      Varint.write(b, session);
      Varint.write(b, seq);
      Varint.write(b, ackedBelow);
      b.put(payload);
    } else if (kind == Kind.CLOSE) {
      Varint.write(b, session);
    }
    return b.array();
  }

  /**
   * Decodes an entry's data.
   *
   * @throws MalformedMessageException when it is not a session entry of this format
   */
  public static SessionCommand decode(byte[] data) {
    ByteBuffer b = ByteBuffer.wrap(data);
    if (b.remaining() < 2) {
      throw new MalformedMessageException("session entry of " + data.length + " bytes: too short");
    }
    byte format = b.get();
    if (format != FORMAT) {
      throw new MalformedMessageException("session entry format " + format + ", this version reads " + FORMAT);
    }
    int k = b.get();
    if (k < 0 || k >= Kind.values().length) {
      throw new MalformedMessageException("unknown session entry kind " + k);
    }
    Kind kind = Kind.values()[k];
    long time = Varint.read(b, "time");
    try {
      return switch (kind) {
        case REGISTER -> {
          requireEnd(b, kind);
          yield register(time);
        }
        case COMMAND -> {
          long session = Varint.read(b, "session");
          long seq = Varint.read(b, "seq");
          long acked = Varint.read(b, "ackedBelow");
          byte[] payload = new byte[b.remaining()];
          b.get(payload);
          yield command(time, session, seq, acked, payload);
        }
        case CLOSE -> {
          long session = Varint.read(b, "session");
          requireEnd(b, kind);
          yield close(time, session);
        }
      };
    } catch (IllegalArgumentException e) {
      throw new MalformedMessageException("session entry: " + e.getMessage());
    }
  }

  private static void requireEnd(ByteBuffer b, Kind kind) {
    if (b.hasRemaining()) {
      throw new MalformedMessageException(b.remaining() + " bytes after a " + kind + " session entry");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SessionCommand c && kind == c.kind && time == c.time && session == c.session && seq == c.seq
        && ackedBelow == c.ackedBelow && Arrays.equals(payload, c.payload);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, time, session, seq, ackedBelow, Arrays.hashCode(payload));
  }

  @Override
  public String toString() {
    return "SessionCommand[" + kind + " time=" + time + " session=" + session + " seq=" + seq + " ackedBelow="
        + ackedBelow + " payload=" + payload.length + " bytes]";
  }
}

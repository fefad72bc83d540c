package dev.raftflow.examples.kv;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * What the state machine answers a {@link KvCommand}: whether it changed the map ({@code applied};
 * a CAS whose expectation failed did not), and the key's value before the command ({@code previous},
 * null when absent). A command the state machine could not read is {@link #rejected} with a message;
 * it changed nothing. Encoded {@code [version 1][status][present][value]} or {@code [1][2][message]}.
 * Immutable.
 */
public record KvAnswer(Status status, byte[] previous, String message) {

  /** The outcome of a command. */
  public enum Status {
    /** The map changed (a put, a delete, a CAS whose expectation held). */
    APPLIED,
    /** A CAS whose expectation did not hold: nothing changed. */
    NOT_APPLIED,
    /** The command was malformed: nothing changed; {@link #message()} says why. */
    REJECTED
  }

  public KvAnswer {
    Objects.requireNonNull(status, "status");
  }

  static KvAnswer applied(byte[] previous) {
    return new KvAnswer(Status.APPLIED, previous, null);
  }

  static KvAnswer notApplied(byte[] current) {
    return new KvAnswer(Status.NOT_APPLIED, current, null);
  }

  static KvAnswer rejected(String message) {
    return new KvAnswer(Status.REJECTED, null, message);
  }

  byte[] encode() {
    if (status == Status.REJECTED) {
      byte[] m = String.valueOf(message).getBytes(StandardCharsets.UTF_8);
      return ByteBuffer.allocate(2 + KvBytes.valueSize(m)).put(KvCommand.VERSION).put((byte) 2).putInt(m.length).put(m)
          .array();
    }
    ByteBuffer b = ByteBuffer.allocate(3 + (previous == null ? 0 : KvBytes.valueSize(previous)));
    b.put(KvCommand.VERSION).put((byte) status.ordinal()).put((byte) (previous == null ? 0 : 1));
    if (previous != null) {
      KvBytes.putValue(b, previous);
    }
    return b.array();
  }

  /**
   * The answer {@code data} holds.
   *
   * @throws MalformedKvDataException when it is not one
   */
  static KvAnswer decode(byte[] data) {
    ByteBuffer b = ByteBuffer.wrap(data);
    byte version = KvBytes.getByte(b, "answer version");
    if (version != KvCommand.VERSION) {
      throw new MalformedKvDataException("KV answer version " + version + " is not known");
    }
    byte status = KvBytes.getByte(b, "answer status");
    KvAnswer a;
    if (status == 2) {
      a = rejected(new String(KvBytes.getValue(b, "message"), StandardCharsets.UTF_8));
    } else if (status == 0 || status == 1) {
      byte present = KvBytes.getByte(b, "present flag");
      byte[] v = present == 1 ? KvBytes.getValue(b, "value") : null;
      if (present != 0 && present != 1) {
        throw new MalformedKvDataException("present flag must be 0 or 1, was " + present);
      }
      a = new KvAnswer(Status.values()[status], v, null);
    } else {
      throw new MalformedKvDataException("unknown KV answer status " + status);
    }
    KvBytes.end(b, "KV answer");
    return a;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KvAnswer a && a.status == status && Arrays.equals(a.previous, previous)
        && Objects.equals(a.message, message);
  }

  @Override
  public int hashCode() {
    return Objects.hash(status, Arrays.hashCode(previous), message);
  }

  @Override
  public String toString() {
    return "KvAnswer[" + status + (previous == null ? ", absent" : ", " + previous.length + " bytes")
        + (message == null ? "" : ", " + message) + "]";
  }
}

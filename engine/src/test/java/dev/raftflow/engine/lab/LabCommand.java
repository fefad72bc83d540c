package dev.raftflow.engine.lab;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The tester's commands as bytes: a 1-byte tag, then the payload ({@code 'i'} + 4-byte big-endian
 * int, {@code 's'} + UTF-8 string, {@code 'n'} for the null of an unrecorded index). Decoding
 * gives back an {@link Integer} or a {@link String}, so committed values compare with {@code equals}.
 */
public final class LabCommand {

  private LabCommand() {}

  /** What the appliers record for a no-op entry (never equal to a test's command). */
  public static final Object NOOP = new Object() {
    @Override
    public String toString() {
      return "<no-op>";
    }
  };

  public static byte[] encode(Object cmd) {
    if (cmd == null) {
      return new byte[] {'n'};
    }
    if (cmd == NOOP) {
      return new byte[] {'o'}; // inside a snapshot's log
    }
    if (cmd instanceof Integer i) {
      return ByteBuffer.allocate(5).put((byte) 'i').putInt(i).array();
    }
    if (cmd instanceof String s) {
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      return ByteBuffer.allocate(1 + utf8.length).put((byte) 's').put(utf8).array();
    }
    throw new IllegalArgumentException("commands are Integer or String, not " + cmd.getClass().getName());
  }

  /**
   * Decodes one command.
   *
   * @throws IllegalArgumentException for bytes no {@link #encode} produced
   */
  public static Object decode(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      throw new IllegalArgumentException("empty command");
    }
    return switch (bytes[0]) {
      case 'i' -> {
        if (bytes.length != 5) {
          throw new IllegalArgumentException("int command of " + bytes.length + " bytes");
        }
        yield ByteBuffer.wrap(bytes, 1, 4).getInt();
      }
      case 's' -> new String(bytes, 1, bytes.length - 1, StandardCharsets.UTF_8);
      case 'o' -> {
        if (bytes.length != 1) {
          throw new IllegalArgumentException("no-op marker of " + bytes.length + " bytes");
        }
        yield NOOP;
      }
      case 'n' -> {
        if (bytes.length != 1) {
          throw new IllegalArgumentException("null command of " + bytes.length + " bytes");
        }
        yield null;
      }
      default -> throw new IllegalArgumentException("unknown command tag " + bytes[0]);
    };
  }
}

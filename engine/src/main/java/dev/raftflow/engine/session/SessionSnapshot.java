package dev.raftflow.engine.session;

import dev.raftflow.engine.codec.MalformedMessageException;
import dev.raftflow.engine.codec.Varint;
import java.nio.ByteBuffer;

/**
 * A snapshot of a group run by {@link ExactlyOnceService}: {@code [format 1][table length
 * varint][session table][service's snapshot...]}, both taken at the same log index.
 */
record SessionSnapshot(byte[] table, byte[] service) {

  static final byte FORMAT = 1;

  byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(1 + Varint.length(table.length) + table.length + service.length);
    b.put(FORMAT);
    Varint.write(b, table.length);
    b.put(table).put(service);
    return b.array();
  }

  /** @throws MalformedMessageException when {@code data} is not such a snapshot */
  static SessionSnapshot decode(byte[] data) {
    ByteBuffer b = ByteBuffer.wrap(data);
    if (!b.hasRemaining() || b.get() != FORMAT) {
      throw new MalformedMessageException("not a session snapshot of format " + FORMAT);
    }
    long n = Varint.read(b, "table length");
    if (n > b.remaining()) {
      throw new MalformedMessageException("session table of " + n + " bytes in a snapshot with " + b.remaining() + " left");
    }
    byte[] table = new byte[(int) n];
    b.get(table);
    byte[] service = new byte[b.remaining()];
    b.get(service);
    return new SessionSnapshot(table, service);
  }
}

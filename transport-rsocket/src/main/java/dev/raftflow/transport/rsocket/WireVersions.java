package dev.raftflow.transport.rsocket;

import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.Quiesce;
import dev.raftflow.engine.message.ReadIndexRequest;
import dev.raftflow.engine.message.ReadIndexResponse;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The versions of the peer protocol, and how two members agree on one. A version names what may be
 * sent: 1, the frames of {@link WireFormat} version 1 carrying the messages of {@code MessageCodec}
 * version 4 (votes, appends, snapshots, TimeoutNow); 2, the same plus the read-index messages of
 * follower reads; 3, the group-tagged frames of {@code GroupFrames} that hosts of many groups
 * ({@link RSocketHostTransport}) speak to each other, and nothing else. A dialer states the range it speaks in its SETUP frame's metadata ({@link
 * #encode}: {@code [1][min][max]}); a dialer that states none (raftflow before version 2) speaks 1.
 * An acceptor refuses a dialer whose range does not overlap its own, naming both ranges, and
 * otherwise remembers the highest version both speak: what it may send to that member over its own
 * link. Until a member has dialed in, only version 1 is sent to it. So a group upgrades member by
 * member: old and new members talk version 1 while any old one is left. Stateless; thread-safe.
 */
public final class WireVersions {

  /** The oldest version this build speaks. */
  public static final int OLDEST = 1;
  /** The newest version this build's single-group {@link RSocketTransport} speaks. */
  public static final int NEWEST = 2;
  /**
   * The group-tagged format of {@link RSocketHostTransport} ({@code GroupFrames}): every message
   * names its group. Spoken only between hosts; a host speaks nothing else.
   */
  public static final int GROUPS = 3;

  private static final byte FORMAT = 1;

  private WireVersions() {}

  /** A range of versions, inclusive. */
  public record Range(int min, int max) {
    public Range {
      if (min < 1 || max < min || max > 255) {
        throw new IllegalArgumentException("wire versions must satisfy 1 <= min <= max <= 255, were " + min + ".." + max);
      }
    }

    /** The highest version both ranges contain, or empty when they do not overlap. */
    public Optional<Integer> agree(Range other) {
      int v = Math.min(max, other.max);
      return v >= Math.max(min, other.min) ? Optional.of(v) : Optional.empty();
    }

    @Override
    public String toString() {
      return min == max ? String.valueOf(min) : min + ".." + max;
    }
  }

  /** What this build's {@link RSocketTransport} speaks. */
  public static final Range THIS_BUILD = new Range(OLDEST, NEWEST);

  /** What this build's {@link RSocketHostTransport} speaks. */
  public static final Range HOSTS = new Range(GROUPS, GROUPS);

  /** The SETUP metadata stating {@code range}. */
  static byte[] encode(Range range) {
    return new byte[] {FORMAT, (byte) range.min(), (byte) range.max()};
  }

  /**
   * The range a dialer stated in its SETUP metadata; version 1 alone when it stated none.
   *
   * @throws IllegalArgumentException when the metadata is not such a statement
   */
  static Range decode(ByteBuffer metadata) {
    if (metadata == null || !metadata.hasRemaining()) {
      return new Range(OLDEST, OLDEST);
    }
    if (metadata.remaining() != 3 || metadata.get() != FORMAT) {
      throw new IllegalArgumentException("unreadable wire versions in the setup metadata (" + metadata.remaining()
          + " bytes)");
    }
    return new Range(metadata.get() & 0xFF, metadata.get() & 0xFF);
  }

  /** Whether {@code m} may be sent to a member that speaks {@code version}. */
  static boolean carries(int version, Message m) {
    return version >= needed(m);
  }

  /** The oldest version that carries {@code m}: Quiesce only between hosts (multi-raft), read-index messages from 2. */
  static int needed(Message m) {
    if (m instanceof Quiesce) {
      return GROUPS;
    }
    return m instanceof ReadIndexRequest || m instanceof ReadIndexResponse ? 2 : OLDEST;
  }
}

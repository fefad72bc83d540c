package dev.raftflow.engine.codec;

import dev.raftflow.engine.RaftOptions;

/**
 * Upper bounds of the encoded size of the messages a node sends, so that its options can be checked
 * against a transport's {@code maxMessageBytes()} before it starts (see {@code
 * #requireFit}), and a transport never has to split or drop what the node sends.
 *
 * <p>The bounds assume the worst case of every field {@link MessageCodec} writes as a varint (terms,
 * indexes and counters at {@link Long#MAX_VALUE}) and node ids of {@link MessageCodec#MAX_ID_BYTES};
 * a real message is never larger, usually a few hundred bytes smaller. Stateless and thread-safe.
 */
public final class MessageSizes {

  /** Version and type bytes, and the term: the start of every message. */
  private static final int COMMON_BYTES = 2 + Varint.MAX_LONG_BYTES;

  /** A node id at its longest: length varint and {@link MessageCodec#MAX_ID_BYTES} bytes. */
  private static final int ID_BYTES = Varint.length(MessageCodec.MAX_ID_BYTES) + MessageCodec.MAX_ID_BYTES;

  /**
   * Most bytes an AppendEntries takes besides its entries: the common fields, both ids,
   * prevLogIndex, prevLogTerm, leaderCommit, readRound and the entry count.
   */
  public static final int APPEND_ENTRIES_HEADER_BYTES =
      COMMON_BYTES + 2 * ID_BYTES + 4 * Varint.MAX_LONG_BYTES + Varint.MAX_INT_BYTES;

  /** Most bytes one entry of an AppendEntries takes besides its data: term, type, data length. */
  public static final int ENTRY_OVERHEAD_BYTES = Varint.MAX_LONG_BYTES + 1 + Varint.MAX_INT_BYTES;

  /**
   * Most bytes an InstallSnapshot takes besides its chunk of data and its membership bytes: the
   * common fields, both ids, index, term and seq, offset and total size (longs: a snapshot may be
   * larger than an array), and the two length prefixes.
   */
  public static final int INSTALL_SNAPSHOT_HEADER_BYTES =
      COMMON_BYTES + 2 * ID_BYTES + 5 * Varint.MAX_LONG_BYTES + 2 * Varint.MAX_INT_BYTES;

  /**
   * Bytes set aside for an encoded membership: the one an InstallSnapshot carries, and the data of a
   * configuration entry, which may travel alone in an AppendEntries. 16 KiB holds a joint
   * configuration of more than 60 members with the longest ids, hundreds with short ones.
   */
  public static final int MEMBERSHIP_ALLOWANCE_BYTES = 16 << 10;

  private MessageSizes() {}

  /**
   * Most bytes an AppendEntries of at most {@code entries} entries holding at most {@code dataBytes}
   * bytes of entry data in total can take.
   *
   * @throws IllegalArgumentException when an argument is negative
   */
  public static long maxAppendEntriesBytes(int entries, long dataBytes) {
    if (entries < 0 || dataBytes < 0) {
      throw new IllegalArgumentException("entries (" + entries + ") and dataBytes (" + dataBytes + ") must not be negative");
    }
    return APPEND_ENTRIES_HEADER_BYTES + (long) entries * ENTRY_OVERHEAD_BYTES + dataBytes;
  }

  /**
   * Most bytes an InstallSnapshot carrying at most {@code chunkBytes} bytes of snapshot and a
   * membership of at most {@code membershipBytes} encoded bytes can take.
   *
   * @throws IllegalArgumentException when an argument is negative
   */
  public static long maxInstallSnapshotBytes(long chunkBytes, long membershipBytes) {
    if (chunkBytes < 0 || membershipBytes < 0) {
      throw new IllegalArgumentException("chunkBytes (" + chunkBytes + ") and membershipBytes (" + membershipBytes
          + ") must not be negative");
    }
    return INSTALL_SNAPSHOT_HEADER_BYTES + chunkBytes + membershipBytes;
  }

  /**
   * Most bytes any message other than AppendEntries and InstallSnapshot takes (votes, responses,
   * TimeoutNow): they carry no payload.
   */
  public static int maxControlMessageBytes() {
    // the largest is a SnapshotResponse: five varints (a rejecting AppendResponse: a flag and four)
    return COMMON_BYTES + 2 * ID_BYTES + 5 * Varint.MAX_LONG_BYTES;
  }

  /**
   * Checks that every message a node with {@code options} sends fits whole in a transport that
   * carries encoded messages of at most {@code maxMessageBytes} ({@code Transport#maxMessageBytes()}),
   * so that the transport never has to drop one for its size. The bounds are worst cases from
   * {@link MessageSizes}: an AppendEntries of {@link RaftOptions#maxEntriesPerMessage()} entries and {@link
   * RaftOptions#maxBytesPerMessage()} bytes of data, one entry of {@link RaftOptions#maxCommandBytes()} (or a
   * configuration entry of up to {@link MessageSizes#MEMBERSHIP_ALLOWANCE_BYTES}) alone, and an
   * InstallSnapshot of {@link RaftOptions#snapshotChunkBytes()} with a membership of up to that allowance.
   *
   * @throws IllegalArgumentException naming the option to lower (or saying the transport's limit
   *     is too small for any options) when a message could exceed {@code maxMessageBytes}
   */
  public static void requireFit(RaftOptions options, int maxMessageBytes) {
    long floor = Math.max(maxControlMessageBytes(),
        maxAppendEntriesBytes(1, MEMBERSHIP_ALLOWANCE_BYTES));
    floor = Math.max(floor, maxInstallSnapshotBytes(1, MEMBERSHIP_ALLOWANCE_BYTES));
    if (maxMessageBytes < floor) {
      throw new IllegalArgumentException("the transport carries messages of at most " + maxMessageBytes
          + " bytes, less than the " + floor + " a configuration entry or a snapshot chunk with its membership"
          + " may take: raise the transport's message limit (RSocket: maxFrameBytes)");
    }
    long batch = maxAppendEntriesBytes(options.maxEntriesPerMessage(), options.maxBytesPerMessage());
    if (batch > maxMessageBytes) {
      long room = maxMessageBytes - maxAppendEntriesBytes(options.maxEntriesPerMessage(), 0);
      throw new IllegalArgumentException("maxBytesPerMessage (" + options.maxBytesPerMessage() + ") with maxEntriesPerMessage ("
          + options.maxEntriesPerMessage() + ") makes AppendEntries of up to " + batch + " bytes, over the transport's limit of "
          + maxMessageBytes + ": lower maxBytesPerMessage"
          + (room > 0 ? " to at most " + room : "") + " or maxEntriesPerMessage, or raise the transport's limit");
    }
    long single = maxAppendEntriesBytes(1, options.maxCommandBytes());
    if (single > maxMessageBytes) {
      throw new IllegalArgumentException("maxCommandBytes (" + options.maxCommandBytes() + ") makes an AppendEntries of one entry"
          + " up to " + single + " bytes, over the transport's limit of " + maxMessageBytes
          + ": lower maxCommandBytes to at most " + (maxMessageBytes - maxAppendEntriesBytes(1, 0))
          + ", or raise the transport's limit");
    }
    long chunk = maxInstallSnapshotBytes(options.snapshotChunkBytes(), MEMBERSHIP_ALLOWANCE_BYTES);
    if (chunk > maxMessageBytes) {
      throw new IllegalArgumentException("snapshotChunkBytes (" + options.snapshotChunkBytes() + ") makes InstallSnapshot"
          + " messages of up to " + chunk + " bytes, over the transport's limit of " + maxMessageBytes
          + ": lower snapshotChunkBytes to at most "
          + (maxMessageBytes - maxInstallSnapshotBytes(0, MEMBERSHIP_ALLOWANCE_BYTES))
          + ", or raise the transport's limit");
    }
  }
}

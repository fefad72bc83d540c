package dev.raftflow.engine.codec;

/**
 * Upper bounds of the encoded size of the messages a node sends, so that its options can be checked
 * against a transport's {@code maxMessageBytes()} before it starts (see {@code
 * RaftOptions#requireMessagesFit}), and a transport never has to split or drop what the node sends.
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
   * common fields, both ids, index, term and seq, offset and total size (a snapshot is held in one
   * array, so these fit an int), and the two length prefixes.
   */
  public static final int INSTALL_SNAPSHOT_HEADER_BYTES =
      COMMON_BYTES + 2 * ID_BYTES + 3 * Varint.MAX_LONG_BYTES + 4 * Varint.MAX_INT_BYTES;

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
}

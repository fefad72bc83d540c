package dev.raftflow.engine.core.tracker;

import dev.raftflow.engine.spi.Snapshot;

/**
 * A snapshot being sent to one follower in chunks: the snapshot, the offset of the next chunk to
 * send, how many bytes the follower confirmed holding in order, and the numbering of chunks, which
 * keeps growing across transfers so that an answer about an earlier transfer is always older. Also
 * the ticks since the follower last answered and since anything was last sent, from which the
 * leader tells a slow transfer from an abandoned one. Not thread-safe: owned by a {@link Progress}.
 */
public final class SnapshotTransfer {

  private Snapshot snapshot;
  private long nextOffset;
  private long ackedOffset;
  private long seq;
  private long answeredSeq;
  private long rewindSeq;
  private int ticksSinceAnswer;
  private int ticksSinceSent;

  /** Starts sending {@code s} from its first byte; the timers start again. */
  void start(Snapshot s) {
    switchTo(s);
    ticksSinceAnswer = 0;
    ticksSinceSent = 0;
  }

  /** Starts sending {@code s} from its first byte, keeping the timers (the follower still has not answered). */
  public void switchTo(Snapshot s) {
    snapshot = s;
    nextOffset = 0;
    ackedOffset = 0;
    seq++;
    answeredSeq = seq - 1;
    rewindSeq = seq;
  }

  void stop() {
    snapshot = null;
  }

  /** The snapshot being sent, or null when no transfer is under way. */
  public Snapshot snapshot() {
    return snapshot;
  }

  public long index() {
    return snapshot.index();
  }

  public long nextOffset() {
    return nextOffset;
  }

  public long ackedOffset() {
    return ackedOffset;
  }

  /** Whether every byte was sent. */
  public boolean allSent() {
    return nextOffset >= snapshot.size();
  }

  /** Bytes sent and not confirmed. */
  public long unacknowledged() {
    return nextOffset - ackedOffset;
  }

  /** Numbers the next chunk (or probe) to send and notes that something was sent. */
  public long nextSeq() {
    ticksSinceSent = 0;
    return seq++;
  }

  /** A chunk ending at {@code offset} went out. */
  public void sentTo(long offset) {
    nextOffset = offset;
  }

  public int ticksSinceAnswer() {
    return ticksSinceAnswer;
  }

  public int ticksSinceSent() {
    return ticksSinceSent;
  }

  public void ticked(int ticks) {
    ticksSinceAnswer += ticks;
    ticksSinceSent += ticks;
  }

  /**
   * Takes the follower's answer to chunk {@code answerSeq} sent at {@code offset}: it holds {@code
   * heldBytes} in order. Returns false (and changes nothing) for an answer overtaken by a later one.
   * A follower that lost what it held (it says 0 of a chunk past the start) is believed; otherwise
   * what it confirmed only grows. When it holds less than the chunk's offset (a chunk went missing,
   * or it restarted), sending goes back to what it holds, once per rewind: answers to chunks sent
   * before the rewind would only ask for the same again.
   */
  public boolean answered(long answerSeq, long offset, long heldBytes) {
    if (answerSeq <= answeredSeq) {
      return false;
    }
    answeredSeq = answerSeq;
    ticksSinceAnswer = 0;
    if (heldBytes > ackedOffset || lostEverything(offset, heldBytes)) {
      ackedOffset = heldBytes;
    }
    return true;
  }

  /** Whether an answer says the follower holds nothing of the transfer although a later chunk reached it. */
  public static boolean lostEverything(long offset, long heldBytes) {
    return heldBytes == 0 && offset > 0;
  }

  /** Whether an answer asks to go back ({@code heldBytes < offset}) and no rewind has answered it yet. */
  public boolean needsRewind(long answerSeq, long offset, long heldBytes) {
    return heldBytes < offset && answerSeq >= rewindSeq;
  }

  /** Goes back to {@code heldBytes}: what the follower holds is what it says. */
  public void rewind(long heldBytes) {
    ackedOffset = Math.min(ackedOffset, heldBytes);
    nextOffset = heldBytes;
    rewindSeq = seq;
  }

  /** Never resend what the follower confirmed. */
  public void skipAcknowledged() {
    nextOffset = Math.max(nextOffset, ackedOffset);
  }

  @Override
  public String toString() {
    return snapshot == null ? "none"
        : "snapshot=" + snapshot.index() + " sent=" + nextOffset + " acked=" + ackedOffset;
  }
}

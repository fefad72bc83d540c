package dev.raftflow.client;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;

/**
 * The client protocol of a raftflow node, carried as RSocket request-response payloads (or on a
 * request-channel, each request and reply prefixed with a long id). A request is one op byte
 * followed by its body; a reply is one status byte followed by its body:
 *
 * <pre>
 * PROPOSE  command bytes           -> OK index:long term:long | NOT_LEADER leader:str | OVERLOADED msg:str
 *                                     | OUTCOME_UNKNOWN leader:str msg:str | ERROR msg:str
 * STATE    (empty)                 -> OK term:long role:str leader:str commit:long applied:long last:long
 * READ     index:long              -> OK command bytes | ERROR msg:str   (nodes that record commands)
 * READ_INDEX (empty)               -> OK index:long | NOT_LEADER leader:str | OVERLOADED msg:str | ERROR msg:str
 * TRANSFER target id (UTF-8 bytes)  -> OK | NOT_LEADER leader:str | ERROR msg:str
 * MEMBER_ADD id:str hostPort:str flags:byte -> OK membership | NOT_LEADER leader:str | ERROR msg:str
 * MEMBER_REMOVE id (UTF-8 bytes)   -> OK membership | NOT_LEADER leader:str | ERROR msg:str
 * MEMBERSHIP (empty)               -> OK membership
 * WATCH_LEADER (empty), a request-stream -> items term:long leader:str, no status byte
 * SESSION_REGISTER (empty)         -> OK session:long | NOT_LEADER leader:str | OUTCOME_UNKNOWN leader:str msg:str
 *                                     | OVERLOADED msg:str | ERROR msg:str
 * SESSION_COMMAND session:long seq:long ackedBelow:long command bytes
 *                                  -> OK answer bytes | SESSION_REFUSED reason:byte msg:str | NOT_LEADER leader:str
 *                                     | OUTCOME_UNKNOWN leader:str msg:str | OVERLOADED msg:str | ERROR msg:str
 * SESSION_CLOSE session:long       -> OK | NOT_LEADER leader:str | OUTCOME_UNKNOWN leader:str msg:str | ERROR msg:str
 * </pre>
 *
 * A proposal is answered once it is committed and applied on the member that took it. READ_INDEX is
 * a linearizable read point: answered once the leader has confirmed its leadership and applied that
 * index. TRANSFER hands leadership to another member and is answered once it leads. MEMBER_ADD, on
 * the leader, first commits where the member listens, then adds it as a learner ({@code learner} 1)
 * or a voter (0); MEMBER_REMOVE removes a member; both are answered with the new configuration once
 * it is committed. MEMBERSHIP answers the member's latest configuration, maybe not committed yet.
 *
 * <p>WATCH_LEADER is the one RSocket request-stream (every other op is a request-response or rides
 * the request-channel): the member sends its current term and the leader it knows (leader length
 * -1: none known), then one item each time either changes, so a client learns of a new leader
 * without asking. Items respect the stream's request-n; a client slower than the changes gets the
 * latest. The stream completes when the member's node stops (a client subscribes again, after a
 * pause) and fails with an application error when the member has no node running.
 *
 * <p>The SESSION ops are served by members that run their service through the engine's exactly-once
 * layer (others answer ERROR): a session is opened once (its id is the index of its registration
 * entry), then each command carries the session, its number {@code seq} (from 1) and {@code
 * ackedBelow}, the lowest number whose answer the client has not received (every answer below it
 * may be forgotten). The group applies a (session, seq) at most once and answers every try with the
 * first answer, so a client retries the same (session, seq) after a timeout, NOT_LEADER or
 * OUTCOME_UNKNOWN until it gets OK or SESSION_REFUSED. SESSION_REFUSED: decided in log order, the
 * same on every member; {@code reason} is {@link #REFUSED_UNKNOWN_SESSION} (never opened, closed, or
 * expired: open another), {@link #REFUSED_ANSWER_FORGOTTEN} (the client acknowledged it already) or
 * {@link #REFUSED_TOO_MANY_UNACKNOWLEDGED}. Closing an unknown session is OK.
 *
 * <p>Statuses say what became of the request. NOT_LEADER: the member is not the leader and the
 * request was not taken (for PROPOSE: it is not in the log), {@code leader} names the leader when
 * known. OUTCOME_UNKNOWN: the member took the request but lost its leadership (or its view of the
 * entry) before it committed; it may still commit under the new leader named by {@code leader}.
 * OVERLOADED: refused for now, nothing done. ERROR: anything else, with the member's message.
 *
 * <p>A string ({@code str}) is a signed short length and UTF-8 bytes, length {@code -1} for none. A
 * membership is three string lists (voters, outgoing voters, learners), each a short count then its
 * strings. All numbers are big-endian.
 *
 * <p>The methods here encode and decode those bodies; they are shared by {@link RemoteClient} and the
 * server's endpoint. Decoders read from the buffer's position and throw {@link
 * IllegalArgumentException} (or {@link java.nio.BufferUnderflowException}) on a malformed body.
 * Stateless and thread-safe.
 */
public final class ClientProtocol {

  public static final byte OP_PROPOSE = 1;
  public static final byte OP_STATE = 2;
  public static final byte OP_READ = 3;
  public static final byte OP_READ_INDEX = 4;
  public static final byte OP_TRANSFER = 5;
  public static final byte OP_MEMBER_ADD = 6;
  /** MEMBER_ADD flags: add as a learner; add a voter even when the leader's safety checks refuse it. */
  public static final byte ADD_LEARNER = 1;
  public static final byte ADD_FORCE = 2;
  public static final byte OP_MEMBER_REMOVE = 7;
  public static final byte OP_MEMBERSHIP = 8;
  /** A request-stream of leader changes. */
  public static final byte OP_WATCH_LEADER = 9;
  /** Opens an exactly-once session. */
  public static final byte OP_SESSION_REGISTER = 10;
  /** A command of a session, applied at most once. */
  public static final byte OP_SESSION_COMMAND = 11;
  /** Closes a session. */
  public static final byte OP_SESSION_CLOSE = 12;

  public static final byte OK = 0;
  public static final byte NOT_LEADER = 1;
  public static final byte OVERLOADED = 2;
  public static final byte ERROR = 3;
  /** The request was taken but its outcome is unknown: it may still commit (body: leader:str msg:str). */
  public static final byte OUTCOME_UNKNOWN = 4;
  /** A session's entry was refused in log order (body: reason:byte msg:str). */
  public static final byte SESSION_REFUSED = 5;

  /** SESSION_REFUSED reasons. */
  public static final byte REFUSED_UNKNOWN_SESSION = 1;
  public static final byte REFUSED_ANSWER_FORGOTTEN = 2;
  public static final byte REFUSED_TOO_MANY_UNACKNOWLEDGED = 3;

  private ClientProtocol() {}

  /** A request: {@code op} followed by {@code body}, ready to read. */
  public static ByteBuffer request(byte op, byte[] body) {
    ByteBuffer b = ByteBuffer.allocate(1 + body.length);
    b.put(op).put(body).flip();
    return b;
  }

  /** The OK reply to PROPOSE. */
  public static ByteBuffer position(long index, long term) {
    ByteBuffer b = ByteBuffer.allocate(17);
    b.put(OK).putLong(index).putLong(term).flip();
    return b;
  }

  /** A reply of {@code status} (not OK) carrying {@code text} (a leader id or a message; may be null). */
  public static ByteBuffer failure(byte status, String text) {
    byte[] t = utf8(text);
    ByteBuffer b = ByteBuffer.allocate(1 + strLength(t));
    b.put(status);
    putStr(b, t);
    b.flip();
    return b;
  }

  /** The OUTCOME_UNKNOWN reply: the leader to ask now (null when unknown) and the member's message. */
  public static ByteBuffer outcomeUnknown(String leaderId, String message) {
    byte[] leader = utf8(leaderId);
    byte[] msg = utf8(message);
    ByteBuffer b = ByteBuffer.allocate(1 + strLength(leader) + strLength(msg));
    b.put(OUTCOME_UNKNOWN);
    putStr(b, leader);
    putStr(b, msg);
    return b.flip();
  }

  /** The body of SESSION_COMMAND. */
  public static byte[] sessionCommand(long session, long seq, long ackedBelow, byte[] command) {
    return ByteBuffer.allocate(24 + command.length).putLong(session).putLong(seq).putLong(ackedBelow).put(command)
        .array();
  }

  /** The body of SESSION_CLOSE. */
  public static byte[] sessionClose(long session) {
    return ByteBuffer.allocate(8).putLong(session).array();
  }

  /** An OK reply carrying {@code data} as its whole body (SESSION_COMMAND's answer). */
  public static ByteBuffer ok(byte[] data) {
    return ByteBuffer.allocate(1 + data.length).put(OK).put(data).flip();
  }

  /** The OK reply to SESSION_REGISTER. */
  public static ByteBuffer session(long session) {
    return ByteBuffer.allocate(9).put(OK).putLong(session).flip();
  }

  /** The SESSION_REFUSED reply. */
  public static ByteBuffer sessionRefused(byte reason, String message) {
    byte[] msg = utf8(message);
    ByteBuffer b = ByteBuffer.allocate(2 + strLength(msg));
    b.put(SESSION_REFUSED).put(reason);
    putStr(b, msg);
    return b.flip();
  }

  /** One item of the WATCH_LEADER stream. */
  public static ByteBuffer leader(long term, String leaderId) {
    byte[] leader = utf8(leaderId);
    ByteBuffer b = ByteBuffer.allocate(8 + strLength(leader));
    b.putLong(term);
    putStr(b, leader);
    return b.flip();
  }

  /** Reads one item of the WATCH_LEADER stream. */
  public static LeaderHint readLeader(ByteBuffer b) {
    long term = b.getLong();
    if (term < 0) {
      throw new IllegalArgumentException("negative term " + term + " in a leader item");
    }
    return new LeaderHint(term, getStr(b));
  }

  /** The OK reply to STATE. */
  public static ByteBuffer state(long term, String role, String leaderId, long commit, long applied, long last) {
    byte[] r = utf8(role);
    byte[] leader = utf8(leaderId);
    ByteBuffer b = ByteBuffer.allocate(1 + 8 + strLength(r) + strLength(leader) + 24);
    b.put(OK).putLong(term);
    putStr(b, r);
    putStr(b, leader);
    b.putLong(commit).putLong(applied).putLong(last).flip();
    return b;
  }

  /** Reads the body of STATE's OK reply (after the status byte). */
  public static NodeStatus readState(ByteBuffer b) {
    long term = b.getLong();
    String role = getStr(b);
    String leader = getStr(b);
    return new NodeStatus(term, role, leader, b.getLong(), b.getLong(), b.getLong());
  }

  /** The OK reply carrying a membership. */
  public static ByteBuffer membership(Set<String> voters, Set<String> outgoingVoters, Set<String> learners) {
    byte[][][] lists = {utf8(voters), utf8(outgoingVoters), utf8(learners)};
    int size = 1;
    for (byte[][] list : lists) {
      size += 2;
      for (byte[] s : list) {
        size += strLength(s);
      }
    }
    ByteBuffer b = ByteBuffer.allocate(size).put(OK);
    for (byte[][] list : lists) {
      b.putShort((short) list.length);
      for (byte[] s : list) {
        putStr(b, s);
      }
    }
    return b.flip();
  }

  /** Reads the body of a membership reply (after the status byte). */
  public static Membership readMembership(ByteBuffer b) {
    return new Membership(readList(b), readList(b), readList(b));
  }

  /**
   * Writes {@code s} as a string: short length and bytes, length -1 for null.
   *
   * @throws IllegalArgumentException when {@code s} is longer than a short length allows
   */
  public static void putStr(ByteBuffer b, byte[] s) {
    if (s == null) {
      b.putShort((short) -1);
    } else {
      if (s.length > Short.MAX_VALUE) {
        throw new IllegalArgumentException("a string of " + s.length + " bytes is over " + Short.MAX_VALUE);
      }
      b.putShort((short) s.length).put(s);
    }
  }

  /**
   * Reads a string written by {@link #putStr}; null for length -1.
   *
   * @throws IllegalArgumentException when the length is negative (other than -1) or past the end
   */
  public static String getStr(ByteBuffer b) {
    int n = b.getShort();
    if (n == -1) {
      return null;
    }
    if (n < 0 || n > b.remaining()) {
      throw new IllegalArgumentException("string of " + n + " bytes in a reply of " + b.remaining());
    }
    byte[] s = new byte[n];
    b.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }

  private static Set<String> readList(ByteBuffer b) {
    int n = b.getShort();
    if (n < 0 || n * 2 > b.remaining()) {
      throw new IllegalArgumentException("a list of " + n + " members in a reply of " + b.remaining() + " bytes");
    }
    Set<String> out = new TreeSet<>();
    for (int i = 0; i < n; i++) {
      String s = getStr(b);
      if (s == null) {
        throw new IllegalArgumentException("a member id is missing");
      }
      out.add(s);
    }
    return out;
  }

  private static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[][] utf8(Set<String> members) {
    return members.stream().map(ClientProtocol::utf8).toArray(byte[][]::new);
  }

  private static int strLength(byte[] s) {
    return 2 + (s == null ? 0 : s.length);
  }
}

package dev.raftflow.bench.remote;

import dev.raftflow.engine.LogPosition;
import dev.raftflow.engine.Membership;
import dev.raftflow.engine.NodeState;
import dev.raftflow.engine.Role;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The client protocol of a raftflow node, carried as RSocket request-response payloads. A request
 * is one op byte followed by its body; a reply is one status byte followed by its body:
 *
 * <pre>
 * PROPOSE  command bytes           -> OK index:long term:long | NOT_LEADER leader:str | OVERLOADED msg:str | ERROR msg:str
 * STATE    (empty)                 -> OK term:long role:byte leader:str commit:long applied:long last:long
 * READ     index:long              -> OK command bytes | ERROR msg:str   (nodes that record commands)
 * READ_INDEX (empty)               -> OK index:long | NOT_LEADER leader:str | OVERLOADED msg:str | ERROR msg:str
 * TRANSFER target id (UTF-8 bytes)  -> OK | NOT_LEADER leader:str | ERROR msg:str
 * MEMBER_ADD id:str hostPort:str learner:byte -> OK membership | NOT_LEADER leader:str | ERROR msg:str
 * MEMBER_REMOVE id (UTF-8 bytes)   -> OK membership | NOT_LEADER leader:str | ERROR msg:str
 * MEMBERSHIP (empty)               -> OK membership
 * </pre>
 *
 * READ_INDEX is a linearizable read point ({@code RaftNode#readIndex()}): answered once the leader
 * has confirmed its leadership and applied that index. TRANSFER hands leadership to another member
 * and is answered once it leads.
 *
 * <p>MEMBER_ADD, on the leader, commits an {@link AddressBook} command recording where the member
 * listens, then adds it as a learner ({@code learner} 1) or a voter (0); MEMBER_REMOVE removes a
 * member. Both are answered once the new configuration is committed, with it. MEMBERSHIP answers
 * the node's current configuration (the latest it holds, maybe not committed yet). A membership is
 * {@code Membership#encode()}'s bytes.
 *
 * A proposal is answered once it is committed and applied on the node that took it. Strings are a
 * short length + UTF-8 ({@code -1} for none).
 */
final class ClientProtocol {

  static final byte OP_PROPOSE = 1;
  static final byte OP_STATE = 2;
  static final byte OP_READ = 3;
  static final byte OP_READ_INDEX = 4;
  static final byte OP_TRANSFER = 5;
  static final byte OP_MEMBER_ADD = 6;
  static final byte OP_MEMBER_REMOVE = 7;
  static final byte OP_MEMBERSHIP = 8;

  static final byte OK = 0;
  static final byte NOT_LEADER = 1;
  static final byte OVERLOADED = 2;
  static final byte ERROR = 3;

  private ClientProtocol() {}

  static ByteBuffer request(byte op, byte[] body) {
    ByteBuffer b = ByteBuffer.allocate(1 + body.length);
    b.put(op).put(body).flip();
    return b;
  }

  static ByteBuffer position(LogPosition p) {
    ByteBuffer b = ByteBuffer.allocate(17);
    b.put(OK).putLong(p.index()).putLong(p.term()).flip();
    return b;
  }

  static ByteBuffer failure(byte status, String text) {
    byte[] t = text == null ? null : text.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(3 + (t == null ? 0 : t.length));
    b.put(status);
    putStr(b, t);
    b.flip();
    return b;
  }

  static ByteBuffer membership(Membership m) {
    byte[] e = m.encode();
    ByteBuffer b = ByteBuffer.allocate(1 + e.length);
    b.put(OK).put(e).flip();
    return b;
  }

  static Membership readMembership(ByteBuffer b) {
    byte[] e = new byte[b.remaining()];
    b.get(e);
    return Membership.decode(e);
  }

  static ByteBuffer state(NodeState s) {
    byte[] leader = s.leaderId() == null ? null : s.leaderId().getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(1 + 8 + 1 + 2 + (leader == null ? 0 : leader.length) + 24);
    b.put(OK).putLong(s.term()).put((byte) s.role().ordinal());
    putStr(b, leader);
    b.putLong(s.commitIndex()).putLong(s.appliedIndex()).putLong(s.lastIndex()).flip();
    return b;
  }

  static NodeState readState(ByteBuffer b) {
    long term = b.getLong();
    Role role = Role.values()[b.get()];
    String leader = getStr(b);
    return new NodeState(term, role, leader, b.getLong(), b.getLong(), b.getLong());
  }

  static void putStr(ByteBuffer b, byte[] s) {
    if (s == null) {
      b.putShort((short) -1);
    } else {
      b.putShort((short) s.length).put(s);
    }
  }

  static String getStr(ByteBuffer b) {
    int n = b.getShort();
    if (n < 0) {
      return null;
    }
    if (n > b.remaining()) {
      throw new IllegalArgumentException("string of " + n + " bytes in a reply of " + b.remaining());
    }
    byte[] s = new byte[n];
    b.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }
}

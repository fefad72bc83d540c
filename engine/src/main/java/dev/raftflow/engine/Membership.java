package dev.raftflow.engine;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Who belongs to a Raft group: the voting members, the learners (members that receive the log but
 * neither vote nor count towards a majority), and, while a change of voters is under way, the
 * voters of the configuration being left.
 *
 * <p>A change of voters goes through a <em>joint</em> configuration (Raft thesis §4.3): while
 * {@link #outgoingVoters()} is not empty, an election or a commit needs a majority of
 * {@link #voters()} <em>and</em> a majority of {@link #outgoingVoters()} (counted by the core's
 * {@code quorum} package). The leader leaves the
 * joint configuration on its own once it is committed. Changing only learners needs no joint step.
 *
 * <p>Immutable; the sets are sorted, so equal memberships encode to equal bytes.
 *
 * @param voters the voting members (not empty)
 * @param outgoingVoters the previous voters while a change of voters is under way, else empty
 * @param learners non-voting members; none of them is in {@code voters}
 */
public record Membership(Set<String> voters, Set<String> outgoingVoters, Set<String> learners) {

  private static final byte FORMAT = 1;
  /** Upper bound of an encoded membership's member count, against corrupt input. */
  private static final int MAX_MEMBERS = 1 << 12;

  public Membership {
    voters = sorted(voters, "voters");
    outgoingVoters = sorted(outgoingVoters, "outgoingVoters");
    learners = sorted(learners, "learners");
    if (voters.isEmpty()) {
      throw new IllegalArgumentException("a membership needs at least one voter");
    }
    for (String l : learners) {
      if (voters.contains(l)) {
        throw new IllegalArgumentException("'" + l + "' cannot be both a voter and a learner");
      }
    }
  }

  /** Voters only: no learners, no change under way. */
  public static Membership ofVoters(Iterable<String> voters) {
    Set<String> v = new HashSet<>();
    voters.forEach(v::add);
    return new Membership(v, Set.of(), Set.of());
  }

  /** A configuration with these voters and learners and no change under way. */
  public static Membership of(Set<String> voters, Set<String> learners) {
    return new Membership(voters, Set.of(), learners);
  }

  /** Whether a change of voters is under way (two majorities needed). */
  public boolean isJoint() {
    return !outgoingVoters.isEmpty();
  }

  /** Whether {@code id} votes (in either configuration while joint). */
  public boolean isVoter(String id) {
    return voters.contains(id) || outgoingVoters.contains(id);
  }

  /** Whether {@code id} is a voter or a learner (of either configuration while joint). */
  public boolean contains(String id) {
    return isVoter(id) || learners.contains(id);
  }

  /** Every member: voters, outgoing voters and learners, sorted. */
  public SortedSet<String> members() {
    TreeSet<String> all = new TreeSet<>(voters);
    all.addAll(outgoingVoters);
    all.addAll(learners);
    return Collections.unmodifiableSortedSet(all);
  }

  /** The configuration a joint one leads to: its incoming voters and its learners. */
  public Membership target() {
    return isJoint() ? new Membership(voters, Set.of(), learners) : this;
  }

  /**
   * The configuration to append to go from this (non-joint) membership to {@code target}: joint
   * when the voters change, else {@code target} itself.
   */
  public Membership transitionTo(Membership target) {
    if (isJoint() || target.isJoint()) {
      throw new IllegalArgumentException("a transition goes from one plain configuration to another");
    }
    return voters.equals(target.voters) ? target : new Membership(target.voters, voters, target.learners);
  }

  /** Encodes this membership (for configuration entries and snapshots). */
  public byte[] encode() {
    int size = 1;
    for (Set<String> s : new Set[] {voters, outgoingVoters, learners}) {
      size += 2;
      for (String id : s) {
        size += 2 + id.getBytes(StandardCharsets.UTF_8).length;
      }
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.put(FORMAT);
    for (Set<String> s : new Set[] {voters, outgoingVoters, learners}) {
      b.putShort((short) s.size());
      for (String id : s) {
        byte[] u = id.getBytes(StandardCharsets.UTF_8);
        b.putShort((short) u.length);
        b.put(u);
      }
    }
    return b.array();
  }

  /**
   * Decodes what {@link #encode()} wrote.
   *
   * @throws IllegalArgumentException when the bytes are not an encoded membership
   */
  public static Membership decode(byte[] bytes) {
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      if (b.get() != FORMAT) {
        throw new IllegalArgumentException("unknown membership format " + bytes[0]);
      }
      Set<String> v = readSet(b);
      Set<String> o = readSet(b);
      Set<String> l = readSet(b);
      if (b.hasRemaining()) {
        throw new IllegalArgumentException(b.remaining() + " trailing bytes after a membership");
      }
      return new Membership(v, o, l);
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated membership (" + bytes.length + " bytes)", e);
    }
  }

  private static Set<String> readSet(ByteBuffer b) {
    int n = Short.toUnsignedInt(b.getShort());
    if (n > MAX_MEMBERS) {
      throw new IllegalArgumentException("membership lists " + n + " members");
    }
    Set<String> s = new HashSet<>();
    for (int i = 0; i < n; i++) {
      byte[] u = new byte[Short.toUnsignedInt(b.getShort())];
      b.get(u);
      s.add(new String(u, StandardCharsets.UTF_8));
    }
    return s;
  }

  private static Set<String> sorted(Set<String> s, String what) {
    if (s == null) {
      throw new NullPointerException(what);
    }
    TreeSet<String> t = new TreeSet<>();
    for (String id : s) {
      if (id == null || id.isEmpty()) {
        throw new IllegalArgumentException(what + " holds an empty member id");
      }
      t.add(id);
    }
    return Collections.unmodifiableSortedSet(t);
  }

  @Override
  public String toString() {
    return "Membership[voters=" + voters + (isJoint() ? " outgoing=" + outgoingVoters : "")
        + (learners.isEmpty() ? "" : " learners=" + learners) + "]";
  }
}

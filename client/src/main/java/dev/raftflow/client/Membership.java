package dev.raftflow.client;

import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A group's configuration as a member reported it: the voters, the voters of the configuration
 * being left while a change of voters is under way (else empty), and the learners. Immutable; the
 * sets are sorted, so {@link #toString()} lists members in order. Equal to another {@code Membership}
 * with the same three sets.
 *
 * @param voters the voting members
 * @param outgoingVoters the previous voters while a change is under way, else empty
 * @param learners the non-voting members
 */
public record Membership(Set<String> voters, Set<String> outgoingVoters, Set<String> learners) {

  public Membership {
    voters = sorted(voters, "voters");
    outgoingVoters = sorted(outgoingVoters, "outgoingVoters");
    learners = sorted(learners, "learners");
  }

  /** Voters only: no learners, no change under way. */
  public static Membership ofVoters(Iterable<String> voters) {
    Set<String> v = new HashSet<>();
    voters.forEach(v::add);
    return new Membership(v, Set.of(), Set.of());
  }

  /** These voters and learners, no change under way. */
  public static Membership of(Set<String> voters, Set<String> learners) {
    return new Membership(voters, Set.of(), learners);
  }

  private static SortedSet<String> sorted(Set<String> members, String what) {
    if (members == null) {
      throw new IllegalArgumentException(what + " must not be null (empty for none)");
    }
    return Collections.unmodifiableSortedSet(new TreeSet<>(members));
  }
}

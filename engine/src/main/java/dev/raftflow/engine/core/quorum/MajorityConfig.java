package dev.raftflow.engine.core.quorum;

import java.util.Arrays;
import java.util.Collection;
import java.util.function.Predicate;

/**
 * One set of voters deciding by simple majority. The single place where a majority is counted: the
 * committed index, the outcome of a vote, and whether enough voters were heard from.
 *
 * <p>An empty configuration decides nothing on its own: it agrees to every index and wins every vote,
 * so that it is neutral inside a {@link JointConfig} whose outgoing half is empty. Immutable.
 */
public final class MajorityConfig {

  private static final MajorityConfig EMPTY = new MajorityConfig(new String[0]);

  private final String[] voters;

  private MajorityConfig(String[] voters) {
    this.voters = voters;
  }

  /** A configuration of {@code voters} (sorted, duplicates removed). */
  public static MajorityConfig of(Collection<String> voters) {
    if (voters.isEmpty()) {
      return EMPTY;
    }
    return new MajorityConfig(voters.stream().distinct().sorted().toArray(String[]::new));
  }

  public static MajorityConfig empty() {
    return EMPTY;
  }

  /** The voters, sorted; position {@code i} is the one {@link #committedIndex(long[])} reads at {@code i}. */
  public String voter(int i) {
    return voters[i];
  }

  public int size() {
    return voters.length;
  }

  public boolean isEmpty() {
    return voters.length == 0;
  }

  public boolean contains(String id) {
    return Arrays.binarySearch(voters, id) >= 0;
  }

  /** How many answers make a majority. */
  public int quorum() {
    return voters.length / 2 + 1;
  }

  /**
   * The highest index that a majority has acknowledged, where {@code acked[i]} is what
   * {@link #voter(int)} {@code i} acknowledged. Sorts {@code acked} in place (pass a scratch array).
   * {@link Long#MAX_VALUE} for an empty configuration.
   */
  public long committedIndex(long[] acked) {
    if (voters.length == 0) {
      return Long.MAX_VALUE;
    }
    if (acked.length != voters.length) {
      throw new IllegalArgumentException(acked.length + " acknowledgements for " + voters.length + " voters");
    }
    Arrays.sort(acked);
    return acked[voters.length - quorum()];
  }

  /** The outcome of a vote in which {@code granted} voters said yes and {@code rejected} said no. */
  public VoteResult voteResult(Predicate<String> granted, Predicate<String> rejected) {
    if (voters.length == 0) {
      return VoteResult.WON;
    }
    int yes = 0;
    int no = 0;
    for (String v : voters) {
      if (granted.test(v)) {
        yes++;
      } else if (rejected.test(v)) {
        no++;
      }
    }
    if (yes >= quorum()) {
      return VoteResult.WON;
    }
    return no >= quorum() ? VoteResult.LOST : VoteResult.PENDING;
  }

  /** Whether a majority of the voters satisfy {@code heard} (true for an empty configuration). */
  public boolean isQuorum(Predicate<String> heard) {
    return voteResult(heard, v -> false) == VoteResult.WON;
  }

  @Override
  public String toString() {
    return Arrays.toString(voters);
  }
}

package dev.raftflow.engine.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link RandomizedSimulation} over many seeds: {@code -Draftflow.sim.seeds=N} (default 1000 in
 * CI) seeds starting at {@code -Draftflow.sim.firstSeed} (default 1); {@code -Draftflow.seed=S} replays
 * one seed.
 */
class RandomizedSimulationTest {

  /**
   * Seeds that once failed, run on every build. 6005 (5 members): a candidate whose election timed
   * out ran a pre-vote for the next term in the same set as its real votes, so one pre-vote grant
   * plus one late real vote made it a second leader of its term.
   *
   * The seeds above were found with the driver of before the core redesign, which drew its random
   * numbers in another order; they no longer reproduce their scenarios. 10285 is what 6005 was: with
   * pre-votes and real votes counted in one tally, it elects two leaders in term 3.
   *
   * Seed 4138 (3 members, 3-byte snapshot chunks, one AppendEntries of few entries in flight, a
   * client proposing faster than that replicates): a leader that kept log entries for a follower
   * catching up from a snapshot for as long as it stayed behind kept it on the log forever, never
   * gaining; such a follower now gets the next snapshot instead.
   *
   * Seed 4679 (once failed campaigns retried sooner): an old rejection of an append, duplicated and
   * delivered late over an election timeout, made a leader report that its follower had lost entries
   * it acknowledged. Only answers to appends sent after the first suspicious one (fenced by a read
   * round they echo) count as evidence now.
   */
  private static final long[] REGRESSION_SEEDS = {6005, 4138, 10285, 4679};

  /**
   * Membership-change seeds that once failed, run on every build. 17 (5 members): the leader of a
   * joint configuration appended the new one, which left it out, then lost leadership before that
   * committed; the members holding the new configuration were no voters of it, and the only voter
   * of it lacked it and could not win the joint majority: nobody could ever lead. A member removed
   * by a configuration not yet committed now still stands for election (thesis §4.2.2).
   *
   * 13779 (5 members): a voter alone in its configuration won at once and sent its appends to the
   * learners before its new term was durable; it crashed, lost the term, and voted for another
   * member in that term: two leaders' appends in one term. Nothing now leaves a member under a term
   * or vote before they are durable.
   *
   * 4927 (pre-vote off, CheckQuorum on): a member removed while cut off never learned it, and its
   * vote requests of ever newer terms deposed every leader after the heal. Members that hear from a
   * leader now ignore them (the CheckQuorum lease, thesis §4.2.3).
   *
   * 156 (slow disks): the fix for 13779 held messages back only within the turn that changed the
   * term; with a term's write outlasting a heartbeat, the next turn's appends went out under the
   * term not yet durable. The core now holds every message while a term or vote is being written.
   *
   * 22 (once the core filtered its own input as the node did): a member added as a voter that had
   * received nothing dropped the vote requests of the only candidate that could win (a stranger to
   * it), and nobody could ever lead. Requests are now taken from any sender (thesis §4.1).
   *
   * 4104 (the harness, not the engine): the 150 ms disks of the faulty phase stayed slow after the
   * heal; with one entry per message and one in flight, the follower a joint quorum needed gained
   * seven entries a second on a leader taking clients at full rate, and nothing could commit within
   * the 20 s allowed. Disks now heal with the rest.
   *
   * 13779, 156 and 4927 were found with the driver of before the core redesign (which drew its random
   * numbers in another order) and no longer reproduce their scenarios. Their rules are guarded now by
   * 4301 (without the hold rule, two members disagree at an index they both hold: log matching
   * broken) and 4953 (without the CheckQuorum lease, the group does not recover after the heal).
   *
   * 9480 (the harness, not the engine): a member removed by a configuration it had not seen
   * committed campaigned in term 6; the sole voter granted it, then led term 7 alone and committed
   * there; the late grant made the candidate leader of term 6. Raft allows that (it can commit
   * nothing), but the check wanted every new leader to hold every committed entry; it now wants the
   * entries committed in earlier terms, as the Leader Completeness property says.
   */
  private static final long[] MEMBERSHIP_REGRESSION_SEEDS = {17, 13779, 4927, 156, 22, 4104, 4301, 4953, 9480};

  /**
   * The same simulation with membership changes: the group starts with some members as voters and
   * its leader is asked now and then to change to random voters and learners.
   * {@code -Draftflow.sim.membershipSeeds=N} (default 300) seeds from {@code
   * -Draftflow.sim.firstSeed}; {@code -Draftflow.membershipSeed=S} replays one.
   */
  /**
   * The one seed of {@code replayProperty} if set, else {@code countProperty} (default {@code
   * defaultCount}) seeds from {@code -Draftflow.sim.firstSeed} plus the regression seeds.
   */
  private static List<Long> seedsToRun(String replayProperty, String countProperty, int defaultCount,
      long[] regressionSeeds) {
    String replay = System.getProperty(replayProperty);
    List<Long> toRun = new ArrayList<>();
    if (replay != null) {
      toRun.add(Long.parseLong(replay));
      return toRun;
    }
    long first = Long.getLong("raftflow.sim.firstSeed", 1L);
    for (long s = first; s < first + Integer.getInteger(countProperty, defaultCount); s++) {
      toRun.add(s);
    }
    for (long s : regressionSeeds) {
      if (!toRun.contains(s)) {
        toRun.add(s);
      }
    }
    return toRun;
  }

  @Test
  void safetyHoldsAndTheGroupRecoversThroughMembershipChanges() {
    List<Long> toRun = seedsToRun("raftflow.membershipSeed", "raftflow.sim.membershipSeeds", 300,
        MEMBERSHIP_REGRESSION_SEEDS);
    long committed = 0;
    long events = 0;
    long changes = 0;
    long start = System.nanoTime();
    for (long seed : toRun) {
      RandomizedSimulation sim = new RandomizedSimulation(seed, seed % 2 == 0 ? 3 : 5, true);
      sim.run(8_000, 20_000);
      committed += sim.committedEntries();
      events += sim.events();
      changes += sim.membershipChangesStarted();
      assertThat(sim.committedEntries()).as("seed %d commits something", seed).isPositive();
    }
    System.out.printf("randomized simulation with membership changes: %d seeds, %d events, %d committed entries, "
        + "%d membership changes started, %.1f s%n", toRun.size(), events, committed, changes,
        (System.nanoTime() - start) / 1e9);
    if (toRun.size() >= 100) {
      assertThat(changes).as("membership changes started over the run").isGreaterThan(toRun.size());
    }
  }

  @Test
  void safetyHoldsAndTheGroupRecoversOnEverySeed() {
    List<Long> toRun = seedsToRun("raftflow.seed", "raftflow.sim.seeds", 1000, REGRESSION_SEEDS);
    long committed = 0;
    long events = 0;
    long readsConfirmed = 0;
    long readsFailed = 0;
    long transfers = 0;
    long chunks = 0;
    long installs = 0;
    long behind = 0;
    long start = System.nanoTime();
    for (long seed : toRun) {
      int size = seed % 2 == 0 ? 3 : 5;
      RandomizedSimulation sim = new RandomizedSimulation(seed, size);
      sim.run(8_000, 20_000);
      committed += sim.committedEntries();
      events += sim.events();
      readsConfirmed += sim.readsConfirmed();
      readsFailed += sim.readsFailed();
      transfers += sim.transfersStarted();
      chunks += sim.snapshotChunksSent();
      installs += sim.snapshotsInstalled();
      behind += sim.behindLeaderReports();
      assertThat(sim.committedEntries()).as("seed %d commits something", seed).isPositive();
    }
    System.out.printf("randomized simulation: %d seeds, %d events, %d committed entries, %d reads confirmed, "
        + "%d failed, %d leadership transfers started, %d snapshot chunks sent, %d snapshots installed, "
        + "%d behind-leader warnings, %.1f s%n",
        toRun.size(), events, committed, readsConfirmed, readsFailed, transfers, chunks, installs, behind,
        (System.nanoTime() - start) / 1e9);
    if (toRun.size() >= 100) {
      assertThat(readsConfirmed).as("reads confirmed over the run").isPositive();
      assertThat(readsFailed).as("reads failed by a leader stepping down over the run").isPositive();
      assertThat(chunks).as("snapshots sent in several chunks over the run").isPositive();
      assertThat(installs).as("snapshots installed from a leader over the run").isPositive();
    }
  }

  /**
   * Idle groups go quiet: clients pause now and then, leaders and followers stop their clocks, and a
   * liveness oracle (the host's reachability) wakes quiet followers cut off from their leader. The
   * same safety checks after every event, and the group must recover after the heal. {@code
   * -Draftflow.sim.quiesceSeeds=N} (default 300) seeds, with membership changes on every third one;
   * {@code -Draftflow.quiesceSeed=S} replays one.
   */
  @Test
  void safetyHoldsAndTheGroupRecoversWithQuietGroups() {
    // 22428: a stale member out-termed the one needing its vote forever once heartbeats were
    // answered at once, until a refused candidate kept its campaign timer (core script 25)
    List<Long> toRun = seedsToRun("raftflow.quiesceSeed", "raftflow.sim.quiesceSeeds", 300, new long[] {22428});
    long quiet = 0;
    long woken = 0;
    long committed = 0;
    long events = 0;
    long start = System.nanoTime();
    for (long seed : toRun) {
      RandomizedSimulation sim = new RandomizedSimulation(seed, seed % 2 == 0 ? 3 : 5, seed % 3 == 0, false, true);
      sim.run(8_000, 20_000);
      quiet += sim.timesQuiet();
      woken += sim.wokenByLiveness();
      committed += sim.committedEntries();
      events += sim.events();
      assertThat(sim.committedEntries()).as("seed %d commits something", seed).isPositive();
    }
    System.out.printf("randomized simulation with quiet groups: %d seeds, %d events, %d committed entries, members "
        + "went quiet %d times, %d woken by the liveness oracle, %.1f s%n", toRun.size(), events, committed, quiet,
        woken, (System.nanoTime() - start) / 1e9);
    if (toRun.size() >= 100) {
      assertThat(quiet).as("members that went quiet over the run").isGreaterThan(toRun.size());
      assertThat(woken).as("quiet followers woken because their leader was cut off").isPositive();
    }
  }

  /**
   * Follower reads: reads are also asked of followers, which get the read point from their leader;
   * every confirmed read point must cover what was committed before it was asked, on every seed.
   */
  @Test
  void followerReadsAreLinearizableOnEverySeed() {
    List<Long> toRun = seedsToRun("raftflow.followerReadSeed", "raftflow.sim.followerReadSeeds", 300, new long[0]);
    long confirmed = 0;
    long asked = 0;
    long start = System.nanoTime();
    for (long seed : toRun) {
      RandomizedSimulation sim = new RandomizedSimulation(seed, seed % 2 == 0 ? 3 : 5, false, true);
      sim.run(8_000, 20_000);
      confirmed += sim.readsConfirmed();
      asked += sim.followerReadsAsked();
      assertThat(sim.committedEntries()).as("seed %d commits something", seed).isPositive();
    }
    System.out.printf("randomized simulation with follower reads: %d seeds, %d reads asked of any member, %d reads "
        + "confirmed, %.1f s%n", toRun.size(), asked, confirmed, (System.nanoTime() - start) / 1e9);
    if (toRun.size() >= 100) {
      assertThat(asked).isPositive();
      assertThat(confirmed).isPositive();
    }
  }
}

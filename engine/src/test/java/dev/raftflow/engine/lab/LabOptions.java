package dev.raftflow.engine.lab;

import dev.raftflow.engine.RaftOptions;
import java.time.Duration;

/** The node options every lab scenario runs with: tune them here, in one place. */
public final class LabOptions {

  private LabOptions() {}

  /**
   * 10 ms ticks, heartbeats every 100 ms (the lab allows at most 10 per second), election timeouts
   * drawn from 300-600 ms, no leader no-op entry so that the first command sits at index 1 as the
   * lab expects, and only 16 entries in memory beyond the applied and durable ones (the rest are
   * read back from the store: the lab's logs are short, so this path runs all the time).
   */
  public static RaftOptions raftOptions() {
    return RaftOptions.builder()
        .tickInterval(Duration.ofMillis(10))
        .heartbeatTicks(10)
        .electionTicks(30)
        .leaderNoop(false)
        .logEntriesInMemory(16)
        .build();
  }
}

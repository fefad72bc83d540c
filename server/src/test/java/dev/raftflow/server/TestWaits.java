package dev.raftflow.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.node.RaftNode;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Bounded waits shared by the in-process cluster tests of this module. */
final class TestWaits {

  private TestWaits() {}

  /** The id of a node other than {@code not} that leads, once one does (within {@code seconds}). */
  static String awaitLeader(Collection<RaftNode> nodes, String not, int seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      for (RaftNode n : nodes) {
        if (!n.id().equals(not) && !n.isClosed() && n.state().isLeader()) {
          return n.id();
        }
      }
      assertThat(System.nanoTime()).as("a leader within " + seconds + " s").isLessThan(deadline);
      pause(2);
    }
  }

  static void awaitWithin(long ms, BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what + " within " + ms + " ms").isLessThan(deadline);
      pause(2);
    }
  }

  static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

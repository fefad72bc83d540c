package dev.raftflow.bench;

import dev.raftflow.engine.OverloadedException;
import dev.raftflow.engine.node.RaftNode;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.HdrHistogram.Recorder;
import reactor.core.publisher.Mono;

/**
 * Drives proposals into whichever node leads. Closed loop: {@code concurrency} proposals outstanding,
 * a new one as each completes. Open loop: {@code rate} proposals per second on a fixed schedule,
 * latency measured from the scheduled send time (no coordinated omission), at most {@code
 * maxOutstanding} in flight; a send that would exceed it, or that the client itself is too late to
 * make, is counted as shed. Proposals refused as overloaded are counted apart from other failures.
 */
final class LoadDriver implements AutoCloseable {

  private final Proposer proposer;
  private final byte[] payload;
  private final int concurrency;
  private final long rate;
  private final int maxOutstanding;
  final Recorder latency = new Recorder(3);
  final AtomicLong acked = new AtomicLong();
  /** Failed proposals while counting is on (see {@link #countErrors}), by exception type. */
  final ProposalErrors errors = new ProposalErrors();
  final AtomicLong overloaded = new AtomicLong();
  final AtomicLong shed = new AtomicLong();
  final AtomicLong outstanding = new AtomicLong();
  private volatile boolean countErrors;
  private volatile boolean stopping;
  private final Thread thread;

  /** Where proposals go: the leader in this process, or a remote client. */
  interface Proposer {
    /**
     * A proposal that completes once committed and applied, or null when no leader is known now.
     * Its value is not used: only when (and whether) it completes.
     */
    Mono<?> propose(byte[] command);
  }

  /** Proposes to whichever node of this process leads. */
  static Proposer embedded(Supplier<RaftNode> leader) {
    RaftNode[] cached = new RaftNode[1]; // looked up again only when it stops leading
    return command -> {
      RaftNode l = cached[0];
      if (l == null || !l.state().isLeader() || l.isClosed()) {
        l = cached[0] = leader.get();
      }
      return l == null ? null : l.submit(command);
    };
  }

  LoadDriver(Proposer proposer, int size, int concurrency, long rate, int maxOutstanding) {
    this.proposer = proposer;
    this.payload = new byte[size];
    this.concurrency = concurrency;
    this.rate = rate;
    this.maxOutstanding = maxOutstanding;
    this.thread = new Thread(rate > 0 ? this::openLoop : this::closedLoop, "raftflow-client");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** From now on, failed proposals count as errors (not during warm-up or injected failover). */
  void countErrors(boolean on) {
    countErrors = on;
  }

  private void closedLoop() {
    Semaphore window = new Semaphore(concurrency);
    while (!stopping) {
      try {
        window.acquire();
      } catch (InterruptedException e) {
        return;
      }
      if (!send(System.nanoTime(), window::release)) {
        window.release();
        LockSupport.parkNanos(100_000);
      }
    }
  }

  private void openLoop() {
    long intervalNs = Math.max(1, 1_000_000_000L / rate);
    long next = System.nanoTime();
    while (!stopping) {
      long now = System.nanoTime();
      while (next <= now && !stopping) {
        // a send more than 10 ms behind its schedule means this client cannot keep up: shed it
        // rather than let the client's own backlog pass for the cluster's latency
        boolean late = now - next > 10_000_000L;
        if (late || outstanding.get() >= maxOutstanding || !send(next, () -> {})) {
          shed.incrementAndGet();
        }
        next += intervalNs;
      }
      LockSupport.parkNanos(Math.max(1000, next - System.nanoTime()));
    }
  }

  private boolean send(long startNs, Runnable done) {
    Mono<?> call = proposer.propose(payload);
    if (call == null) {
      return false;
    }
    outstanding.incrementAndGet();
    call.subscribe(
        pos -> {
          latency.recordValue(Math.max(1, System.nanoTime() - startNs));
          acked.incrementAndGet();
          outstanding.decrementAndGet();
          done.run();
        },
        err -> {
          // refused by a full queue: the embedded node says so with the engine's type, a remote member with the client's
          if (err instanceof OverloadedException || err instanceof dev.raftflow.client.OverloadedException) {
            overloaded.incrementAndGet();
          } else if (countErrors) {
            errors.record(err);
          }
          outstanding.decrementAndGet();
          done.run();
        });
    return true;
  }

  @Override
  public void close() throws InterruptedException {
    stopping = true;
    thread.join(5000);
  }
}

package dev.raftflow.transport.rsocket;

import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.AppendResponse;
import dev.raftflow.engine.message.EntryType;
import dev.raftflow.engine.message.InstallSnapshot;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.message.SnapshotResponse;
import dev.raftflow.engine.message.VoteResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;

/** Shared helpers of the transport tests: clusters on 127.0.0.1, inboxes, waiting, generators. */
final class TestKit {

  private TestKit() {}

  /** Starts one transport per id on ephemeral ports and tells each the others' addresses. */
  static Map<String, RSocketTransport> cluster(List<String> ids, UnaryOperator<RSocketTransport.Builder> custom) {
    Map<String, RSocketTransport> out = new LinkedHashMap<>();
    for (String id : ids) {
      RSocketTransport.Builder b = RSocketTransport.builder().clusterId("test").nodeId(id).bind("127.0.0.1", 0)
          .peers(ids).backoff(Duration.ofMillis(20), Duration.ofMillis(200));
      out.put(id, custom.apply(b).start());
    }
    wire(out);
    return out;
  }

  static void wire(Map<String, RSocketTransport> ts) {
    for (RSocketTransport t : ts.values()) {
      for (RSocketTransport other : ts.values()) {
        if (t != other) {
          t.peerAddress(other.nodeId(), other.localAddress());
        }
      }
    }
  }

  static void closeAll(Map<String, RSocketTransport> ts) {
    for (RSocketTransport t : ts.values()) {
      t.close();
    }
  }

  /** Polls {@code cond} until true or fails after {@code timeout}. */
  static void await(String what, Duration timeout, BooleanSupplier cond) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
  }

  /**
   * Sends {@code m} repeatedly (as Raft would retransmit) until {@code inbox} holds a message
   * matching it, for links that are still being dialed.
   */
  static Message sendUntilReceived(RSocketTransport from, Message m, Inbox inbox, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      from.send(m);
      Message got = inbox.poll(Duration.ofMillis(50));
      if (got != null) {
        return got;
      }
    }
    throw new AssertionError("no delivery of " + m + " within " + timeout);
  }

  static int acceptedConnections(RSocketTransport t) {
    return t.acceptedConnectionCount();
  }

  /** The node's side of {@code inbound()}: requests exactly as told (or unbounded). */
  static final class Inbox extends BaseSubscriber<Message> {
    final LinkedBlockingQueue<Message> received = new LinkedBlockingQueue<>();
    /** Everything ever received, in order (poll/take do not remove from it). */
    final List<Message> all = java.util.Collections.synchronizedList(new ArrayList<>());
    private final long initial;
    volatile boolean completed;

    Inbox(long initialDemand) {
      this.initial = initialDemand;
    }

    static Inbox unbounded(RSocketTransport t) {
      Inbox i = new Inbox(Long.MAX_VALUE);
      t.inbound().subscribe(i);
      return i;
    }

    @Override
    protected void hookOnSubscribe(Subscription s) {
      if (initial > 0) {
        s.request(initial);
      }
    }

    @Override
    protected void hookOnNext(Message m) {
      all.add(m);
      received.add(m);
    }

    @Override
    protected void hookOnComplete() {
      completed = true;
    }

    Message poll(Duration d) {
      try {
        return received.poll(d.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }

    Message take() {
      Message m = poll(Duration.ofSeconds(10));
      if (m == null) {
        throw new AssertionError("no message within 10 s");
      }
      return m;
    }
  }

  // ------------------------------------------------------------ generators

  static long anyLong(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> r.nextInt(128);
      case 1 -> r.nextInt(1 << 20);
      case 2 -> Long.MAX_VALUE - r.nextInt(3);
      default -> r.nextLong() & Long.MAX_VALUE;
    };
  }

  static String anyId(Random r) {
    String[] pool = {"n1", "node-2", "ü-3", "节点", "x".repeat(255), "a"};
    return pool[r.nextInt(pool.length)];
  }

  static byte[] anyBytes(Random r, int max) {
    byte[] b = new byte[r.nextInt(4) == 0 ? 0 : r.nextInt(max + 1)];
    r.nextBytes(b);
    return b;
  }

  static List<LogEntry> anyEntries(Random r, long prevIndex, int maxCount, int maxBytes) {
    int n = r.nextInt(maxCount + 1);
    List<LogEntry> es = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      EntryType type = r.nextInt(5) == 0 ? EntryType.NOOP : EntryType.COMMAND;
      byte[] data = type == EntryType.NOOP ? new byte[0] : anyBytes(r, maxBytes);
      es.add(new LogEntry(prevIndex + 1 + i, anyLong(r), type, data));
    }
    return es;
  }

  /** A random message of type number {@code kind} (0..6). */
  static Message anyMessage(Random r, int kind, String from, String to) {
    long term = anyLong(r);
    return switch (kind) {
      case 0 -> new RequestVote(term, from, to, anyLong(r), anyLong(r));
      case 1 -> new VoteResponse(term, from, to, r.nextBoolean());
      case 2 -> {
        long prev = r.nextInt(1 << 20);
        yield new AppendEntries(term, from, to, prev, anyLong(r), anyEntries(r, prev, 20, 300), anyLong(r), anyLong(r));
      }
      case 3 -> r.nextBoolean()
          ? AppendResponse.accepted(term, from, to, anyLong(r), anyLong(r))
          : AppendResponse.rejected(term, from, to, anyLong(r), anyLong(r), anyLong(r), anyLong(r));
      case 4 -> {
        byte[] data = anyBytes(r, 5000);
        long offset = r.nextBoolean() ? 0 : r.nextInt(1 << 20);
        yield new InstallSnapshot(term, from, to, anyLong(r), anyLong(r), anyLong(r), offset, offset + data.length + r.nextInt(3),
            data);
      }
      case 5 -> new SnapshotResponse(term, from, to, anyLong(r), anyLong(r), anyLong(r), anyLong(r), anyLong(r));
      default -> switch (r.nextInt(3)) {
        case 0 -> new dev.raftflow.engine.message.ReadIndexRequest(term, from, to, anyLong(r));
        case 1 -> new dev.raftflow.engine.message.ReadIndexResponse(term, from, to, anyLong(r), anyLong(r), r.nextBoolean());
        default -> new dev.raftflow.engine.message.TimeoutNow(term, from, to);
      };
    };
  }
}

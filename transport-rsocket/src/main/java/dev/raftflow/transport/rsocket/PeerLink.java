package dev.raftflow.transport.rsocket;

import dev.raftflow.engine.message.Message;
import io.netty.buffer.ByteBuf;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.util.ByteBufPayload;
import java.net.InetSocketAddress;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's outbound side towards one peer: a bounded queue of messages and, while connected, one
 * RSocket request-channel whose upstream drains that queue only as far as the peer's REQUEST_N
 * credit allows. Messages are encoded on the connection's Netty event loop, not on the node's loop.
 *
 * <p>States: IDLE (never dialed, or healed after isolation) → CONNECTING → CONNECTED; a failed dial
 * or a lost connection → BACKOFF until {@code retryAt}, with capped exponential backoff and jitter.
 * Dialing is lazy: it starts from {@link #send} (the node sends heartbeats or votes often enough).
 * While backing off, messages are dropped at once rather than queued, and whatever was queued when
 * the connection failed is discarded: Raft retransmits from the follower's progress, so stale
 * messages are worth nothing.
 *
 * <p>A link sees its transport only through {@link LinkHost}: settings, counters, the peer's
 * address, a dialer, and whether a connection may exist now.
 *
 * <p>Threading: {@link #send} runs on the node's loop; connection callbacks on Netty threads; state
 * changes are guarded by this object's monitor (held briefly, never across I/O).
 */
final class PeerLink {

  private static final Logger log = LoggerFactory.getLogger(PeerLink.class);

  enum State { IDLE, CONNECTING, CONNECTED, BACKOFF, CLOSED }

  /**
   * One queued item: an engine message (with its group id in the group-tagged format, else null) or
   * a control frame ({@code control != 0}, no message), and the frame bytes it accounts for.
   */
  record Queued(Message message, String group, int bytes, byte control) {}

  private final LinkHost host;
  private final LinkSettings settings;
  private final TransportCounters counters;
  final String peerId;
  private final Queue<Queued> queue = new ConcurrentLinkedQueue<>();
  final AtomicLong queuedBytes = new AtomicLong();
  final AtomicInteger queuedMessages = new AtomicInteger();

  private volatile State state = State.IDLE;
  private long retryAtNanos;
  private int failures;
  private long connectedAtNanos;
  /** The last reason the peer gave for refusing this node (logged at WARN once per reason). */
  private volatile String lastRefusal;
  /** Bumped by every dial and every disconnect: a dial that completes under an older epoch is stale. */
  private long epoch;
  private RSocket rsocket;
  private volatile Emitter emitter;

  PeerLink(LinkHost host, String peerId) {
    this.host = host;
    this.settings = host.settings();
    this.counters = host.counters();
    this.peerId = peerId;
  }

  synchronized State state() {
    return state;
  }

  /** Credit the peer has granted and this side has not used yet (0 when not connected). */
  long credit() {
    Emitter e = emitter;
    return e == null ? 0 : e.requested.get();
  }

  void send(Message m, int frameBytes) {
    enqueue(new Queued(m, null, frameBytes, (byte) 0), true);
  }

  /** Queues {@code m} of group {@code group} (the group-tagged format). */
  void send(String group, Message m, int frameBytes) {
    enqueue(new Queued(m, group, frameBytes, (byte) 0), true);
  }

  /**
   * Queues {@code m} of group {@code group} without waking the connection's event loop: part of a
   * burst, which {@link #flush()} sends once it is all queued.
   */
  void sendHeld(String group, Message m, int frameBytes) {
    enqueue(new Queued(m, group, frameBytes, (byte) 0), false);
  }

  /** Sends what {@link #sendHeld} queued (any thread). */
  void flush() {
    Emitter e = emitter;
    if (e != null) {
      e.signal();
    }
  }

  /** Queues a control frame of kind {@code kind} (dials like a message would). */
  void sendControl(byte kind, int frameBytes) {
    enqueue(new Queued(null, null, frameBytes, kind), true);
  }

  private void enqueue(Queued item, boolean signal) {
    int frameBytes = item.bytes();
    if (state != State.CONNECTED) { // fast path without the monitor while connected
      long dialEpoch = 0;
      synchronized (this) {
        switch (state) {
          case CLOSED -> {
            counters.droppedUnreachable.increment();
            return;
          }
          case BACKOFF -> {
            if (System.nanoTime() - retryAtNanos < 0) {
              counters.droppedUnreachable.increment();
              return;
            }
            state = State.CONNECTING;
            dialEpoch = ++epoch;
          }
          case IDLE -> {
            state = State.CONNECTING;
            dialEpoch = ++epoch;
          }
          default -> {}
        }
      }
      if (dialEpoch != 0) {
        dial(dialEpoch);
      }
    }
    long queued = queuedBytes.get();
    // a message larger than the whole bound (a big snapshot) goes alone, once the queue is empty
    if (queuedMessages.get() >= settings.maxQueuedMessages() || (queued + frameBytes > settings.maxQueuedBytes() && queued > 0)) {
      counters.droppedQueueFull.increment();
      return;
    }
    queuedMessages.incrementAndGet();
    queuedBytes.addAndGet(frameBytes);
    queue.offer(item);
    // A dial that failed, or a connection lost, between the state check above and this offer has
    // already discarded the queue: re-read the state after offering, so that either that discard
    // or this one sees the message (both sides write, then read, volatile/CAS state).
    State now = state;
    if (now != State.CONNECTED && now != State.CONNECTING) {
      discardQueue();
      return;
    }
    if (signal) {
      flush();
    }
  }

  /**
   * Dials without ever cancelling the attempt: RSocket 1.1.5 leaks its encoded SETUP frame when a
   * connect is cancelled mid-way, so a dial made stale by {@link #disconnect} runs to its end and
   * its connection is then closed.
   */
  private void dial(long myEpoch) {
    InetSocketAddress address = host.addressOf(peerId);
    if (address == null) {
      dialFailed(myEpoch, new IllegalStateException("no address known for peer '" + peerId + "'"));
      return;
    }
    AtomicReference<Executor> loop = new AtomicReference<>();
    host.dial(peerId, address, loop::set)
        .subscribe(r -> connected(myEpoch, r, loop.get()), err -> dialFailed(myEpoch, err));
  }

  private void connected(long myEpoch, RSocket r, Executor loop) {
    Emitter e;
    synchronized (this) {
      if (state != State.CONNECTING || myEpoch != epoch || !host.mayConnect(peerId)) {
        if (state == State.CONNECTING && myEpoch == epoch) {
          state = State.IDLE; // isolated or blocked while dialing
        }
        r.dispose(); // closed, isolated, blocked or redialed meanwhile
        return;
      }
      state = State.CONNECTED;
      rsocket = r;
      connectedAtNanos = System.nanoTime();
      e = new Emitter(loop);
      emitter = e;
    }
    counters.connects.increment();
    log.debug("{}: connected to '{}'", settings.nodeId(), peerId);
    r.requestChannel(e).subscribe(Payload::release, err -> lost(r, err), () -> lost(r, null));
    r.onClose().subscribe(null, err -> lost(r, err), () -> lost(r, null));
  }

  private void dialFailed(long myEpoch, Throwable err) {
    long delayMs;
    synchronized (this) {
      if (state != State.CONNECTING || myEpoch != epoch) {
        return;
      }
      failures++;
      delayMs = enterBackoff();
    }
    counters.connectFailures.increment();
    discardQueue();
    if (refused(err)) {
      return;
    }
    if (failures == 1) {
      log.info("{}: cannot reach '{}' ({}); retrying with backoff, next in {} ms", settings.nodeId(), peerId, err.toString(), delayMs);
    } else {
      log.debug("{}: still cannot reach '{}' ({}); next try in {} ms", settings.nodeId(), peerId, err.toString(), delayMs);
    }
  }

  private void lost(RSocket r, Throwable err) {
    long delayMs;
    synchronized (this) {
      if (rsocket != r) {
        return; // already handled, or an older connection
      }
      rsocket = null;
      Emitter e = emitter;
      emitter = null;
      if (e != null) {
        e.cancel();
      }
      if (state != State.CONNECTED) {
        return;
      }
      boolean quick = System.nanoTime() - connectedAtNanos < settings.stableConnectionNanos();
      failures = quick ? failures + 1 : 1;
      delayMs = enterBackoff();
    }
    r.dispose();
    discardQueue();
    if (refused(err)) {
      return;
    }
    log.info("{}: connection to '{}' lost ({}); reconnecting in {} ms", settings.nodeId(), peerId,
        err == null ? "closed" : err.toString(), delayMs);
  }

  /**
   * The peer was just heard from (it dialed this node): a backoff toward it is over, and the next
   * send dials at once. After a partition heals, links come back as soon as either side gets
   * through, not when the backoff expires.
   */
  void peerReachable() {
    synchronized (this) {
      if (state == State.BACKOFF) {
        state = State.IDLE;
        failures = 0;
      }
    }
  }

  /**
   * Whether {@code err} is the peer refusing this node's setup (another cluster, a wrong secret, an
   * id it does not know): logged at WARN with the peer's reason, once per reason, so that a node its
   * peers refuse says why in its own log.
   */
  private boolean refused(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof io.rsocket.exceptions.RejectedSetupException) {
        String reason = t.getMessage();
        if (!java.util.Objects.equals(reason, lastRefusal)) {
          lastRefusal = reason;
          log.warn("{}: peer '{}' refuses this node: {}", settings.nodeId(), peerId, reason);
        }
        return true;
      }
    }
    return false;
  }

  /** The last reason the peer gave for refusing this node, or null. */
  String lastRefusal() {
    return lastRefusal;
  }

  /** Moves to BACKOFF; caller holds the monitor. Returns the delay chosen. */
  private long enterBackoff() {
    long base = settings.backoffMin().toMillis();
    long max = settings.backoffMax().toMillis();
    long delay = Math.min(max, base << Math.min(20, Math.max(0, failures - 1)));
    delay = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
    state = State.BACKOFF;
    retryAtNanos = System.nanoTime() + delay * 1_000_000L;
    return delay;
  }

  /**
   * Closes the connection and discards the queue. {@code close=false} forgets backoff, so the next
   * send dials at once (isolation, blocking); {@code close=true} is for good (transport closed, peer
   * removed): later sends are dropped.
   */
  void disconnect(boolean close) {
    RSocket r;
    synchronized (this) {
      r = rsocket;
      rsocket = null;
      epoch++;
      Emitter e = emitter;
      emitter = null;
      if (e != null) {
        e.cancel();
      }
      failures = 0;
      state = close ? State.CLOSED : State.IDLE;
    }
    if (r != null) {
      r.dispose();
    }
    discardQueue();
  }

  private void dequeued(Queued q) {
    queuedMessages.decrementAndGet();
    queuedBytes.addAndGet(-q.bytes());
  }

  private void discardQueue() {
    Queued q;
    while ((q = queue.poll()) != null) {
      queuedMessages.decrementAndGet();
      queuedBytes.addAndGet(-q.bytes());
      if (q.message() != null) {
        counters.droppedUnreachable.increment();
      }
    }
  }

  /**
   * The upstream of one connection's request-channel: the hello frame, then queued messages, never
   * more than the peer has requested. One per connection; cancelled when the connection goes.
   */
  private final class Emitter implements Publisher<Payload>, Subscription {
    final AtomicLong requested = new AtomicLong();
    private final AtomicInteger wip = new AtomicInteger();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Executor loop;
    private final Runnable scheduledDrain = () -> {
      scheduled.set(false);
      drain();
    };

    Emitter(Executor loop) {
      this.loop = loop;
    }

    /**
     * New messages were queued (node's thread): drain on the connection's event loop, once per
     * burst. The hop costs what RSocket's own send hop costs anyway, keeps encoding off the node's
     * loop, and lets whatever the node queues meanwhile leave as one batch.
     */
    void signal() {
      if (loop == null) {
        drain();
      } else if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
        try {
          loop.execute(scheduledDrain);
        } catch (java.util.concurrent.RejectedExecutionException gone) {
          scheduled.set(false);
        }
      }
    }
    private volatile Subscriber<? super Payload> actual;
    private volatile boolean cancelled;
    private boolean helloSent;
    private final OutboundFrames.Builder frame = host.frames().builder(settings);

    /**
     * Encodes {@code first} alone, or with what is queued behind it as one frame (up to {@code
     * maxBatchBytes} / {@code maxBatchMessages}, as the format packs it). Returns null if encoding
     * failed.
     */
    private ByteBuf nextFrame(Queued first) {
      frame.start(first);
      try {
        Queued next;
        while (frame.messages() < settings.maxBatchMessages() && (next = queue.peek()) != null && frame.tryAdd(next)) {
          queue.poll();
          dequeued(next);
        }
        counters.sentMessages.add(frame.messages());
        return frame.build(settings.allocator());
      } catch (RuntimeException ex) {
        counters.droppedOversize.add(frame.messages());
        log.warn("{}: cannot encode {} message(s) for '{}': {}", settings.nodeId(), frame.messages(), peerId, ex.toString());
        return null;
      } finally {
        frame.reset();
      }
    }

    @Override
    public void subscribe(Subscriber<? super Payload> s) {
      if (actual != null) {
        s.onSubscribe(this);
        s.onError(new IllegalStateException("one subscriber per connection"));
        return;
      }
      actual = s;
      s.onSubscribe(this);
    }

    @Override
    public void request(long n) {
      if (n > 0) {
        Demand.add(requested, n);
        drain();
      }
    }

    @Override
    public void cancel() {
      cancelled = true;
    }

    void drain() {
      if (wip.getAndIncrement() != 0) {
        return;
      }
      int missed = 1;
      for (;;) {
        Subscriber<? super Payload> a = actual;
        if (a != null && !cancelled) {
          long r = requested.get();
          long e = 0;
          if (!helloSent && r != 0) {
            helloSent = true;
            a.onNext(ByteBufPayload.create(host.frames().hello(settings.allocator(), settings.nodeId())));
            e++;
          }
          while (e != r && !cancelled) {
            Queued q = queue.poll();
            if (q == null) {
              break;
            }
            dequeued(q);
            ByteBuf frame = nextFrame(q);
            if (frame == null) {
              continue;
            }
            counters.sentFrames.increment();
            counters.sentBytes.add(frame.readableBytes());
            a.onNext(ByteBufPayload.create(frame));
            e++;
          }
          if (e != 0) {
            Demand.produced(requested, e);
          }
        }
        missed = wip.addAndGet(-missed);
        if (missed == 0) {
          return;
        }
      }
    }
  }
}

package dev.raftflow.transport.rsocket;

import dev.raftflow.engine.message.Message;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import reactor.core.publisher.Operators;

/**
 * The node-facing end of the inbound path: a bounded multi-producer queue drained to the single
 * subscriber strictly within its demand. Each message remembers the {@link Source} (channel) it came
 * from; when the node takes it, the source is told, and that is what returns RSocket credit to the
 * sending peer. So a node that stops requesting stops the credit, and the peers stop sending.
 *
 * <p>Thread-safe: producers are Netty threads, demand comes from the node's thread; emission is
 * serialized by a work-in-progress counter (the usual Reactive Streams drain loop).
 */
final class InboundBuffer implements Publisher<Message> {

  /** Where a buffered message came from. */
  interface Source {
    /** The node took one message of this source (or it was dropped): credit may be returned. */
    void consumed();
  }

  private record Item(Message message, Source source) {}

  private final Queue<Item> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();
  private volatile int capacity;
  private final AtomicLong requested = new AtomicLong();
  private final AtomicInteger wip = new AtomicInteger();
  private final AtomicBoolean subscribed = new AtomicBoolean();
  final LongAdder accepted = new LongAdder();
  final LongAdder dropped = new LongAdder();
  private volatile Subscriber<? super Message> actual;
  private volatile boolean cancelled;
  private volatile boolean done;
  private boolean completed;

  InboundBuffer(int capacity) {
    this.capacity = capacity;
  }

  int size() {
    return size.get();
  }

  /** Changes the cap; lowering it below the current size only refuses new messages until it drains. */
  void capacity(int c) {
    capacity = c;
  }

  /** Adds a message unless the buffer is full or closed; returns whether it was kept. */
  boolean offer(Message m, Source source) {
    if (done || cancelled) {
      return false;
    }
    if (size.incrementAndGet() > capacity) {
      size.decrementAndGet();
      dropped.increment();
      return false;
    }
    queue.offer(new Item(m, source));
    accepted.increment();
    drain();
    return true;
  }

  /** No more messages: the subscriber completes once it has taken what is buffered. */
  void complete() {
    done = true;
    drain();
  }

  @Override
  public void subscribe(Subscriber<? super Message> s) {
    if (!subscribed.compareAndSet(false, true)) {
      Operators.error(s, new IllegalStateException("inbound() may be subscribed only once"));
      return;
    }
    s.onSubscribe(new Subscription() {
      @Override
      public void request(long n) {
        if (Operators.validate(n)) {
          Demand.add(requested, n);
          drain();
        }
      }

      @Override
      public void cancel() {
        cancelled = true;
        drain();
      }
    });
    actual = s;
    drain();
  }

  private void drain() {
    if (wip.getAndIncrement() != 0) {
      return;
    }
    int missed = 1;
    for (;;) {
      Subscriber<? super Message> a = actual;
      if (cancelled) {
        Item it;
        while ((it = queue.poll()) != null) {
          size.decrementAndGet();
          it.source().consumed();
        }
      } else if (a != null && !completed) {
        long r = requested.get();
        long e = 0;
        while (e != r && !cancelled) {
          Item it = queue.poll();
          if (it == null) {
            break;
          }
          size.decrementAndGet();
          a.onNext(it.message());
          it.source().consumed();
          e++;
        }
        if (e != 0) {
          Demand.produced(requested, e);
        }
        if (done && queue.isEmpty() && !cancelled) {
          completed = true;
          a.onComplete();
        }
      }
      missed = wip.addAndGet(-missed);
      if (missed == 0) {
        return;
      }
    }
  }
}

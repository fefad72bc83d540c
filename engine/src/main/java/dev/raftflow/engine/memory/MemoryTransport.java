package dev.raftflow.engine.memory;

import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.spi.Transport;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * One member's endpoint on a {@link MemoryNetwork}. Inbound messages wait in a bounded queue until
 * the node requests them; when it is full, new messages are dropped and counted.
 */
public final class MemoryTransport implements Transport {

  private final String id;
  private final MemoryNetwork network;
  private final Sinks.Many<Message> inbound;
  private final AtomicLong dropped = new AtomicLong();
  private volatile boolean closed;

  MemoryTransport(String id, MemoryNetwork network, int capacity) {
    this.id = id;
    this.network = network;
    this.inbound = Sinks.many().unicast().onBackpressureBuffer(Queues.<Message>get(capacity).get());
  }

  @Override
  public void send(Message message) {
    if (!closed) {
      network.route(message);
    }
  }

  void deliver(Message m) {
    if (closed) {
      return;
    }
    while (true) {
      Sinks.EmitResult r = inbound.tryEmitNext(m);
      if (r == Sinks.EmitResult.FAIL_NON_SERIALIZED) {
        Thread.onSpinWait(); // another sender is emitting right now
        continue;
      }
      if (r.isFailure()) {
        dropped.incrementAndGet();
      }
      return;
    }
  }

  @Override
  public Flux<Message> inbound() {
    return inbound.asFlux();
  }

  /** Messages dropped because this endpoint's queue was full (or it was closed). */
  public long droppedMessages() {
    return dropped.get();
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      if (network != null) {
        network.remove(id, this);
      }
      inbound.tryEmitComplete();
    }
  }
}

package dev.raftflow.engine.sim;

import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.spi.Transport;
import java.util.HashMap;
import java.util.Map;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * One incarnation of one server on a {@link SimNetwork}: what a node booted now uses to talk.
 * Messages sent by an incarnation the network has since replaced are never delivered, and neither
 * are messages or replies addressed to it.
 *
 * <p>Inbound honours the subscriber's demand and buffers at most {@value #INBOUND_CAPACITY}
 * messages beyond it; what does not fit is dropped (and counted).
 */
public final class SimTransport implements Transport {

  static final int INBOUND_CAPACITY = 4096;

  private final SimNetwork network;
  private final String id;
  private final long incarnation;
  private final Sinks.Many<Message> sink =
      Sinks.many().unicast().onBackpressureBuffer(Queues.<Message>get(INBOUND_CAPACITY).get());
  /** For each peer: the incarnation of the peer that sent the last request delivered here. */
  private final Map<String, Long> lastCaller = new HashMap<>();
  private long incomingRequests;
  private boolean closed;

  SimTransport(SimNetwork network, String id, long incarnation) {
    this.network = network;
    this.id = id;
    this.incarnation = incarnation;
  }

  public String id() {
    return id;
  }

  public long incarnation() {
    return incarnation;
  }

  @Override
  public void send(Message message) {
    if (!closed) {
      network.send(this, message);
    }
  }

  @Override
  public Flux<Message> inbound() {
    return sink.asFlux();
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      sink.tryEmitComplete();
    }
  }

  boolean isClosed() {
    return closed;
  }

  long incomingRequests() {
    return incomingRequests;
  }

  void noteRequest(String from, long callerIncarnation) {
    incomingRequests++;
    lastCaller.put(from, callerIncarnation);
  }

  /** Incarnation of {@code peer} whose request this incarnation last received, or -1. */
  long lastCaller(String peer) {
    return lastCaller.getOrDefault(peer, -1L);
  }

  /**
   * Hands {@code m} to the subscribed node. Returns false only when the inbound buffer is full (the
   * message is lost); a closed or cancelled inbound silently drops it.
   */
  boolean offer(Message m) {
    return closed || sink.tryEmitNext(m) != Sinks.EmitResult.FAIL_OVERFLOW;
  }

  @Override
  public String toString() {
    return "SimTransport[" + id + "#" + incarnation + (closed ? ", closed" : "") + "]";
  }
}

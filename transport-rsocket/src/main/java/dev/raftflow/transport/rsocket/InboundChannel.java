package dev.raftflow.transport.rsocket;

import dev.raftflow.engine.codec.MalformedMessageException;
import dev.raftflow.engine.message.Message;
import io.netty.buffer.ByteBuf;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Sinks;

/**
 * The receiving end of one peer's request-channel. It grants the peer a window of {@code window}
 * frames of RSocket credit (REQUEST_N) and returns it, in batches of half a window, as its {@link
 * Delivery} says a frame is done with: for {@link RSocketTransport}, only as the node takes the
 * frame's messages out of the {@link InboundBuffer}, so credit on the wire tracks the node's own
 * demand; for {@link RSocketHostTransport}, once the frame's messages are in their groups' bounded
 * buffers (or dropped), so one stalled group never holds the connection's credit.
 *
 * <p>Every payload is decoded and released at once (zero-copy decoding: nothing retains the Netty
 * buffer). A malformed frame, a hello or message claiming another sender, or a message addressed to
 * another node is rejected with a logged reason and the connection is closed; the peer reconnects
 * and the node keeps serving everyone else.
 */
final class InboundChannel implements CoreSubscriber<Payload>, InboundBuffer.Source {

  private static final Logger log = LoggerFactory.getLogger(InboundChannel.class);

  private final String nodeId;
  private final Delivery delivery;
  private final TransportCounters counters;
  private final Consumer<InboundChannel> onEnded;
  private final String peerId;
  private final RSocket connection;
  private final int window;
  private final AtomicInteger toReturn = new AtomicInteger();
  final Sinks.Empty<Void> ended = Sinks.empty();
  private volatile Subscription subscription;
  private volatile boolean stopped;

  /**
   * @param nodeId this node's id: messages addressed to another are rejected
   * @param inbound where accepted messages go
   * @param onEnded told once the peer's stream ends (completes or fails)
   */
  InboundChannel(String nodeId, InboundBuffer inbound, TransportCounters counters, Consumer<InboundChannel> onEnded,
      String peerId, RSocket connection, int window) {
    this(nodeId, new SingleGroupDelivery(nodeId, inbound), counters, onEnded, peerId, connection, window);
  }

  /**
   * @param nodeId this node's id (logs)
   * @param delivery what is done with each frame
   * @param onEnded told once the peer's stream ends (completes or fails)
   */
  InboundChannel(String nodeId, Delivery delivery, TransportCounters counters, Consumer<InboundChannel> onEnded,
      String peerId, RSocket connection, int window) {
    this.nodeId = nodeId;
    this.delivery = delivery;
    this.counters = counters;
    this.onEnded = onEnded;
    this.peerId = peerId;
    this.connection = connection;
    this.window = window;
  }

  String peerId() {
    return peerId;
  }

  @Override
  public void onSubscribe(Subscription s) {
    subscription = s;
    if (stopped) {
      s.cancel();
    } else {
      s.request(window);
    }
  }

  @Override
  public void onNext(Payload p) {
    try {
      if (stopped) {
        return;
      }
      String refusal = delivery.deliver(p.sliceData(), this);
      if (refusal != null) {
        reject(refusal);
      }
    } catch (MalformedMessageException | IllegalArgumentException e) {
      reject("malformed frame: " + e.getMessage());
    } finally {
      p.release();
    }
  }

  /**
   * What a channel does with each frame: decode it (without retaining the buffer), check it and
   * hand its messages on, making sure every frame's credit comes back through {@link #consumed}
   * (at once, or through the sources it gives the buffers). Returns why the frame is rejected
   * (the connection is then closed), or null. May throw {@link MalformedMessageException}.
   */
  interface Delivery {
    String deliver(ByteBuf data, InboundChannel channel);
  }

  /** {@link RSocketTransport}'s delivery: {@link WireFormat} frames into one {@link InboundBuffer}. */
  private static final class SingleGroupDelivery implements Delivery {
    private final String nodeId;
    private final InboundBuffer inbound;

    SingleGroupDelivery(String nodeId, InboundBuffer inbound) {
      this.nodeId = nodeId;
      this.inbound = inbound;
    }

    @Override
    public String deliver(ByteBuf data, InboundChannel ch) {
      WireFormat.Frame f = WireFormat.decode(data);
      String peerId = ch.peerId();
      if (f.kind() == WireFormat.KIND_HELLO) {
        if (!f.helloFrom().equals(peerId)) {
          return "hello from '" + f.helloFrom() + "' on a connection set up by '" + peerId + "'";
        }
        ch.consumed();
        return null;
      }
      List<Message> ms = f.messages();
      String wrong = misaddressed(ms, peerId, nodeId);
      if (wrong != null) {
        return wrong;
      }
      // one frame = one credit, returned when the node has taken every message of it
      InboundBuffer.Source source = ms.size() == 1 ? ch : ch.new BatchSource(ms.size());
      for (Message m : ms) {
        if (!inbound.offer(m, source)) {
          source.consumed(); // dropped (buffer full or closing): keep the window honest
        }
      }
      return null;
    }
  }

  /** Why a message of {@code ms} may not arrive on {@code peerId}'s connection to {@code nodeId}, or null. */
  static String misaddressed(List<Message> ms, String peerId, String nodeId) {
    for (Message m : ms) {
      if (!m.from().equals(peerId)) {
        return m.getClass().getSimpleName() + " claims sender '" + m.from() + "' on a connection set up by '" + peerId + "'";
      }
      if (!m.to().equals(nodeId)) {
        return m.getClass().getSimpleName() + " addressed to '" + m.to() + "', this node is '" + nodeId + "'";
      }
    }
    return null;
  }

  private void reject(String reason) {
    counters.rejectedFrames.increment();
    log.warn("{}: rejected a frame from peer '{}': {}; closing that connection", nodeId, peerId, reason);
    stop();
    connection.dispose();
  }

  /** Closes the whole connection this channel rides on. */
  void closeConnection() {
    connection.dispose();
  }

  /** Stops taking from the channel (it was replaced, rejected, or the transport closes). */
  void stop() {
    stopped = true;
    Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
    ended.tryEmitEmpty();
  }

  /** Counts down the messages of one batch frame; the last one returns the frame's credit. */
  final class BatchSource implements InboundBuffer.Source {
    private final AtomicInteger remaining;

    BatchSource(int n) {
      remaining = new AtomicInteger(n);
    }

    @Override
    public void consumed() {
      if (remaining.decrementAndGet() == 0) {
        InboundChannel.this.consumed();
      }
    }
  }

  @Override
  public void consumed() {
    if (toReturn.incrementAndGet() >= Math.max(1, window / 2)) {
      int n = toReturn.getAndSet(0);
      Subscription s = subscription;
      if (n > 0 && s != null && !stopped) {
        s.request(n);
      }
    }
  }

  @Override
  public void onError(Throwable t) {
    log.debug("{}: channel from '{}' ended: {}", nodeId, peerId, t.toString());
    stopped = true;
    ended.tryEmitEmpty();
    onEnded.accept(this);
  }

  @Override
  public void onComplete() {
    stopped = true;
    ended.tryEmitEmpty();
    onEnded.accept(this);
  }
}

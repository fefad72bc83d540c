package dev.raftflow.engine.node;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.core.RaftCore;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.FluxSink;

/**
 * The apply stream's subscriber and its outstanding demand: committed entries go to it in log order,
 * only as many as it requested, so a slow service holds the stream back instead of growing a queue.
 * Loop thread only.
 */
final class ApplyStream {

  private static final Logger LOG = LoggerFactory.getLogger(ApplyStream.class);
  private static final int MAX_PER_ROUND = 4096;

  private final String nodeId;
  private FluxSink<ApplyEvent> sink;
  private long demand;

  ApplyStream(String nodeId) {
    this.nodeId = nodeId;
  }

  /** A new subscriber ({@code null}: it went away); demand starts again from zero. */
  void subscribe(FluxSink<ApplyEvent> sink) {
    this.sink = sink;
    this.demand = 0;
  }

  void request(long n) {
    demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
  }

  /** Hands the subscriber what it asked for and the core has; {@code delivered} sees each event after. */
  void deliver(RaftCore core, Consumer<ApplyEvent> delivered) {
    if (sink == null) {
      return;
    }
    while (demand > 0 && core.hasApply()) {
      List<ApplyEvent> events = core.takeApply((int) Math.min(demand, MAX_PER_ROUND));
      for (ApplyEvent ev : events) {
        demand--;
        try {
          sink.next(ev);
        } catch (RuntimeException ex) {
          LOG.error("{}: apply subscriber failed at index {}", nodeId, ev.index(), ex);
        }
        delivered.accept(ev);
      }
    }
  }

  /** The node stops: the stream ends, with {@code error} when the node failed. */
  void end(Throwable error) {
    if (sink == null) {
      return;
    }
    if (error != null) {
      sink.error(error);
    } else {
      sink.complete();
    }
  }
}

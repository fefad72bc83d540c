package dev.raftflow.engine.node;

import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.spi.HostTransport;
import dev.raftflow.engine.spi.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import reactor.core.scheduler.Scheduler;

/**
 * Messages the groups of one {@link HostLoop} send, held until the loop has run the tasks already
 * queued on it, then handed to their transports in one burst: a host transport then packs the
 * messages of many groups for one peer into one frame (smart batching across groups). Under light
 * load the burst leaves right after the current task. Confined to the loop's thread.
 */
final class LoopOutbox {

  private final Scheduler.Worker worker;
  /** Where bursts go (one call per burst), or null: to each group's transport in turn. */
  private final HostTransport host;
  private final List<Transport> transports = new ArrayList<>();
  private final List<Message> messages = new ArrayList<>();
  private final Runnable flush = this::flush;
  private boolean flushQueued;
  /** Whether a round of its loop is running: the round sends the burst when it ends. */
  private boolean held;
  private long bursts;
  private long sent;

  LoopOutbox(Scheduler.Worker worker, HostTransport host) {
    this.worker = worker;
    this.host = host;
  }

  /** Holds {@code m} for {@code transport}; the burst leaves once the tasks queued before it have run. */
  void send(Transport transport, Message m) {
    transports.add(transport);
    messages.add(m);
    if (!flushQueued && !held) {
      flushQueued = true;
      try {
        worker.schedule(flush);
      } catch (RejectedExecutionException gone) {
        flush(); // the loop is closing: send now rather than never
      }
    }
  }

  /** A round of the loop begins: what the groups send waits for {@link #release()}. */
  void hold() {
    held = true;
  }

  /** The round ended: its messages leave now, in one burst. */
  void release() {
    held = false;
    if (!messages.isEmpty()) {
      flush();
    }
  }

  private void flush() {
    flushQueued = false;
    int n = messages.size();
    if (host != null) {
      try {
        host.sendBurst(transports, messages);
      } catch (RuntimeException e) {
        // a transport never throws for a lost peer; one that does must not wedge the loop
      }
    } else {
      for (int i = 0; i < n; i++) {
        try {
          transports.get(i).send(messages.get(i));
        } catch (RuntimeException e) {
          // a transport never throws for a lost peer; one that does must not cost the other groups their messages
        }
      }
    }
    transports.clear();
    messages.clear();
    if (n > 0) {
      bursts++;
      sent += n;
    }
  }

  /** Messages per burst so far (0 when none). */
  double meanBurst() {
    return bursts == 0 ? 0 : sent / (double) bursts;
  }
}

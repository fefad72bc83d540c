package dev.raftflow.engine.session;

import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.spi.Transport;
import reactor.core.publisher.Flux;

/** A transport that, while {@link #deaf} is set, drops everything addressed to its member (it still sends). */
final class DeafTransport implements Transport {

  private final Transport inner;
  volatile boolean deaf;

  DeafTransport(Transport inner) {
    this.inner = inner;
  }

  @Override
  public void send(Message message) {
    inner.send(message);
  }

  @Override
  public int maxMessageBytes() {
    return inner.maxMessageBytes();
  }

  @Override
  public Flux<Message> inbound() {
    return inner.inbound().filter(m -> !deaf);
  }

  @Override
  public void close() {
    inner.close();
  }
}

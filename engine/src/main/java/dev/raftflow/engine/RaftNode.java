package dev.raftflow.engine;

import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.engine.spi.Transport;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/** STUB – being implemented. */
public final class RaftNode implements AutoCloseable {
  public static Builder builder() { return new Builder(); }
  public String id() { throw new UnsupportedOperationException(); }
  public CompletableFuture<LogPosition> propose(byte[] command) { throw new UnsupportedOperationException(); }
  public Mono<LogPosition> submit(byte[] command) { throw new UnsupportedOperationException(); }
  public NodeState state() { throw new UnsupportedOperationException(); }
  public Flux<ApplyEvent> applied() { throw new UnsupportedOperationException(); }
  public CompletableFuture<Void> snapshot(long index, byte[] data) { throw new UnsupportedOperationException(); }
  public boolean isClosed() { throw new UnsupportedOperationException(); }
  public Mono<Void> onClose() { throw new UnsupportedOperationException(); }
  @Override public void close() { throw new UnsupportedOperationException(); }

  public static final class Builder {
    public Builder id(String id) { return this; }
    public Builder members(List<String> members) { return this; }
    public Builder transport(Transport t) { return this; }
    public Builder logStore(LogStore s) { return this; }
    public Builder options(RaftOptions o) { return this; }
    public Builder scheduler(Scheduler s) { return this; }
    public Builder random(Random r) { return this; }
    public RaftNode start() { throw new UnsupportedOperationException(); }
  }
}

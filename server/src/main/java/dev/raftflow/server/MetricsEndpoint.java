package dev.raftflow.server;

import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.metrics.RSocketTransportMeters;
import dev.raftflow.metrics.RaftNodeMeters;
import dev.raftflow.transport.rsocket.RSocketTransport;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.InetSocketAddress;
import java.time.Duration;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * The node's meters ({@link RaftNodeMeters}, {@link RSocketTransportMeters}, and Micrometer's JVM
 * memory, thread and processor meters) in the Prometheus text format, served over HTTP at {@code GET
 * /metrics} (any other path: 404). Each scrape refreshes the per-follower and per-peer gauges and
 * reads the counters then; nothing is recorded between scrapes. {@link #close} stops serving and
 * releases the port. Thread-safe.
 */
final class MetricsEndpoint implements AutoCloseable {

  /** The Prometheus text exposition format's content type. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry;
  private final DisposableServer server;

  private MetricsEndpoint(PrometheusMeterRegistry registry, DisposableServer server) {
    this.registry = registry;
    this.server = server;
  }

  /**
   * Binds the meters of {@code node} and {@code transport} and listens on {@code bind}.
   *
   * @throws RuntimeException if the address cannot be bound (the registry is closed first)
   */
  static MetricsEndpoint start(InetSocketAddress bind, RaftNode node, RSocketTransport transport) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    RaftNodeMeters nodeMeters = new RaftNodeMeters(node);
    nodeMeters.bindTo(registry);
    RSocketTransportMeters transportMeters = new RSocketTransportMeters(transport);
    transportMeters.bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    try {
      DisposableServer server = HttpServer.create().host(bind.getHostString()).port(bind.getPort())
          .route(routes -> routes.get("/metrics", (req, res) -> {
            nodeMeters.refreshFollowers();
            transportMeters.refreshPeers();
            String text = registry.scrape();
            return res.header(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE).sendString(Mono.just(text));
          }).route(req -> true, (req, res) -> res.status(HttpResponseStatus.NOT_FOUND)
              .sendString(Mono.just("only GET /metrics is served here\n"))))
          .bindNow(Duration.ofSeconds(10));
      return new MetricsEndpoint(registry, server);
    } catch (RuntimeException e) {
      registry.close();
      throw e;
    }
  }

  /** Where it listens. */
  InetSocketAddress address() {
    return (InetSocketAddress) server.address();
  }

  /** The Prometheus text of every meter now (what {@code GET /metrics} answers). */
  String scrape() {
    return registry.scrape();
  }

  @Override
  public void close() {
    server.disposeNow(Duration.ofSeconds(5));
    registry.close();
  }
}

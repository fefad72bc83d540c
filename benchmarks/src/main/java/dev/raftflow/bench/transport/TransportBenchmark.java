package dev.raftflow.bench.transport;

import dev.raftflow.engine.codec.MessageCodec;
import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.AppendResponse;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import dev.raftflow.transport.rsocket.RSocketTransport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.netty.Connection;
import reactor.netty.DisposableServer;
import reactor.netty.tcp.TcpClient;
import reactor.netty.tcp.TcpServer;

/**
 * AppendEntries throughput and round-trip latency between two peers on loopback, over the RSocket
 * transport and, in the same run, over raw Reactor Netty TCP (4-byte length prefix + the same
 * {@link MessageCodec} frames, decoded on arrival), so RSocket's overhead is visible.
 *
 * <p>Throughput: the sender pushes as fast as the path accepts (the transport's bounded queue is
 * kept below half full so nothing is dropped; raw TCP is paced by Netty's channel writability); the
 * receiver requests like a node (1024 ahead) and counts messages and payload bytes over a measured
 * window after a warm-up. Round trip: one AppendEntries (one 64 B entry) in flight, answered by an
 * AppendResponse; HdrHistogram percentiles.
 *
 * <p>Run: {@code java -cp <classpath> dev.raftflow.bench.transport.TransportBenchmark [warmupMs
 * measureMs rtts]}. Figures depend on the machine; this is not a pass/fail test.
 */
public final class TransportBenchmark {

  private static long warmupMs = 1500;
  private static long measureMs = 3000;
  private static int rtts = 20_000;

  public static void main(String[] args) throws Exception {
    if (args.length >= 3) {
      warmupMs = Long.parseLong(args[0]);
      measureMs = Long.parseLong(args[1]);
      rtts = Integer.parseInt(args[2]);
    }
    System.out.printf(Locale.ROOT, "java %s, %d cpus, warm-up %d ms, measure %d ms%n",
        System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), warmupMs, measureMs);
    System.out.println();
    System.out.println("| path | entry | entries/msg | msgs/s | entries/s | payload MB/s | wire MB/s | dropped |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
    int[][] configs = System.getProperty("bench.configs", "64x1,1024x1,64x32,1024x32").isEmpty()
        ? new int[0][]
        : java.util.Arrays.stream(System.getProperty("bench.configs", "64x1,1024x1,64x32,1024x32").split(","))
            .map(c -> new int[] {Integer.parseInt(c.split("x")[0]), Integer.parseInt(c.split("x")[1])})
            .toArray(int[][]::new);
    for (int[] c : configs) {
      print("rsocket transport", c[0], c[1], rsocketThroughput(c[0], c[1]));
      print("raw reactor-netty tcp", c[0], c[1], rawThroughput(c[0], c[1]));
    }
    System.out.println();
    System.out.println("| path | round trips | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|");
    printRtt("rsocket transport", rsocketRoundTrip());
    printRtt("rsocket request-response (no raftflow layer)", rsocketRequestResponse());
    printRtt("raw reactor-netty tcp", rawRoundTrip());
    System.exit(0);
  }

  record Throughput(double msgsPerSec, double payloadBytesPerSec, double wireBytesPerSec, long dropped) {}

  private static void print(String path, int size, int perMsg, Throughput t) {
    System.out.printf(Locale.ROOT, "| %s | %d B | %d | %,.0f | %,.0f | %.1f | %.1f | %d |%n", path, size, perMsg,
        t.msgsPerSec(), t.msgsPerSec() * perMsg, t.payloadBytesPerSec() / 1e6, t.wireBytesPerSec() / 1e6, t.dropped());
  }

  private static void printRtt(String path, Histogram h) {
    System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f |%n", path, h.getTotalCount(),
        h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
        h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3);
  }

  static AppendEntries append(String from, String to, long prev, int entrySize, int entries) {
    List<LogEntry> es = new ArrayList<>(entries);
    for (int i = 0; i < entries; i++) {
      byte[] d = new byte[entrySize];
      d[0] = (byte) i;
      es.add(LogEntry.command(prev + 1 + i, 3, d));
    }
    return new AppendEntries(3, from, to, prev, 3, es, prev);
  }

  /** Counts what arrives, requesting like a node: 1024 ahead, topped up in halves. */
  static final class Counter extends BaseSubscriber<Message> {
    final AtomicLong messages = new AtomicLong();
    final AtomicLong payload = new AtomicLong();
    private int sinceRequest;

    @Override
    protected void hookOnSubscribe(Subscription s) {
      s.request(1024);
    }

    @Override
    protected void hookOnNext(Message m) {
      if (m instanceof AppendEntries a) {
        long p = 0;
        for (LogEntry e : a.entries()) {
          p += e.data().length;
        }
        payload.addAndGet(p);
      }
      messages.incrementAndGet();
      if (++sinceRequest == 512) {
        sinceRequest = 0;
        request(512);
      }
    }
  }

  private static RSocketTransport[] pair() {
    int window = Integer.getInteger("bench.window", 128);
    RSocketTransport a = RSocketTransport.builder().clusterId("bench").nodeId("a").peers(List.of("a", "b"))
        .inboundWindow(window).start();
    RSocketTransport b = RSocketTransport.builder().clusterId("bench").nodeId("b").peers(List.of("a", "b"))
        .inboundWindow(window).start();
    a.peerAddress("b", b.localAddress());
    b.peerAddress("a", a.localAddress());
    return new RSocketTransport[] {a, b};
  }

  static Throughput rsocketThroughput(int entrySize, int entries) throws Exception {
    RSocketTransport[] p = pair();
    RSocketTransport a = p[0];
    RSocketTransport b = p[1];
    try {
      Counter counter = new Counter();
      b.inbound().subscribe(counter);
      AppendEntries m = append("a", "b", 100, entrySize, entries);
      long frameBytes = MessageCodec.encodedSize(m) + 2;
      AtomicBoolean running = new AtomicBoolean(true);
      Thread producer = new Thread(() -> {
        // like a node's loop: when there is room, send a burst; otherwise park briefly (no spinning:
        // on a small machine a spinning producer starves the event loops it feeds)
        long limit = 4L << 20;
        while (running.get()) {
          int room = (int) Math.min(2048 - a.queuedMessages("b"), (limit - a.queuedBytes("b")) / frameBytes);
          if (room >= 64) {
            for (int i = 0; i < room; i++) {
              a.send(m);
            }
          } else {
            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
          }
        }
      }, "bench-producer");
      producer.start();
      Thread.sleep(warmupMs);
      long m0 = counter.messages.get();
      long p0 = counter.payload.get();
      long t0 = System.nanoTime();
      Thread.sleep(measureMs);
      long m1 = counter.messages.get();
      long p1 = counter.payload.get();
      long t1 = System.nanoTime();
      running.set(false);
      producer.join();
      double secs = (t1 - t0) / 1e9;
      long dropped = a.metrics().droppedQueueFull();
      return new Throughput((m1 - m0) / secs, (p1 - p0) / secs, (m1 - m0) * frameBytes / secs, dropped);
    } finally {
      a.close();
      b.close();
    }
  }

  private static ByteBuf lengthPrefixed(Message m) {
    int size = MessageCodec.encodedSize(m);
    ByteBuf buf = ByteBufAllocator.DEFAULT.buffer(4 + size);
    buf.writeInt(size);
    ByteBuffer view = buf.nioBuffer(4, size);
    MessageCodec.encode(m, view);
    buf.writerIndex(4 + size);
    return buf;
  }

  private static Message decode(ByteBuf frame) {
    if (frame.nioBufferCount() == 1) {
      return MessageCodec.decode(frame.nioBuffer());
    }
    byte[] b = new byte[frame.readableBytes()];
    frame.getBytes(frame.readerIndex(), b);
    return MessageCodec.decode(b);
  }

  private static void framed(Connection c) {
    c.addHandlerLast("frames", new LengthFieldBasedFrameDecoder(64 << 20, 0, 4, 0, 4));
  }

  static Throughput rawThroughput(int entrySize, int entries) throws Exception {
    AtomicLong messages = new AtomicLong();
    AtomicLong payload = new AtomicLong();
    DisposableServer server = TcpServer.create().host("127.0.0.1").port(0)
        .doOnConnection(TransportBenchmark::framed)
        .handle((in, out) -> in.receive().doOnNext(buf -> {
          Message m = decode(buf);
          long p = 0;
          for (LogEntry e : ((AppendEntries) m).entries()) {
            p += e.data().length;
          }
          payload.addAndGet(p);
          messages.incrementAndGet();
        }).then())
        .bindNow();
    AppendEntries m = append("a", "b", 100, entrySize, entries);
    long frameBytes = MessageCodec.encodedSize(m) + 4;
    AtomicBoolean running = new AtomicBoolean(true);
    Connection client = TcpClient.create().host("127.0.0.1").port(server.port()).connectNow();
    try {
      // encoded on the event loop as Netty asks for more (writability-paced)
      client.outbound().send(Flux.<ByteBuf>generate(sink -> sink.next(lengthPrefixed(m)))
          .takeWhile(b -> {
            if (running.get()) {
              return true;
            }
            b.release();
            return false;
          })).then().subscribe(null, e -> { });
      Thread.sleep(warmupMs);
      long m0 = messages.get();
      long p0 = payload.get();
      long t0 = System.nanoTime();
      Thread.sleep(measureMs);
      long m1 = messages.get();
      long p1 = payload.get();
      long t1 = System.nanoTime();
      running.set(false);
      double secs = (t1 - t0) / 1e9;
      return new Throughput((m1 - m0) / secs, (p1 - p0) / secs, (m1 - m0) * frameBytes / secs, 0);
    } finally {
      client.disposeNow(Duration.ofSeconds(5));
      server.disposeNow(Duration.ofSeconds(5));
    }
  }

  static Histogram rsocketRoundTrip() throws Exception {
    RSocketTransport[] p = pair();
    RSocketTransport a = p[0];
    RSocketTransport b = p[1];
    Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    int warm = Math.max(1000, rtts / 10);
    CountDownLatch done = new CountDownLatch(1);
    AppendEntries ping = append("a", "b", 100, 64, 1);
    AppendResponse pong = AppendResponse.accepted(3, "b", "a", 101);
    try {
      // b answers every AppendEntries (one in flight, so b's inbound thread acts as its loop)
      b.inbound().subscribe(new BaseSubscriber<>() {
        @Override
        protected void hookOnSubscribe(Subscription s) {
          s.request(Long.MAX_VALUE);
        }

        @Override
        protected void hookOnNext(Message m) {
          b.send(pong);
        }
      });
      long[] sentAt = new long[1];
      int[] count = new int[1];
      AtomicBoolean chaining = new AtomicBoolean();
      AtomicBoolean linked = new AtomicBoolean();
      a.inbound().subscribe(new BaseSubscriber<>() {
        @Override
        protected void hookOnSubscribe(Subscription s) {
          s.request(Long.MAX_VALUE);
        }

        @Override
        protected void hookOnNext(Message m) {
          if (!chaining.get()) {
            linked.set(true); // a pong of the dialing phase: both links are up
            return;
          }
          long now = System.nanoTime();
          if (++count[0] > warm) {
            h.recordValue(now - sentAt[0]);
          }
          if (count[0] >= warm + rtts) {
            done.countDown();
            return;
          }
          sentAt[0] = System.nanoTime();
          a.send(ping);
        }
      });
      // dial both links first (pings may be retried meanwhile), let stragglers drain, then run
      // exactly one ping-pong chain
      while (!linked.get()) {
        a.send(ping);
        Thread.sleep(50);
      }
      Thread.sleep(300);
      chaining.set(true);
      sentAt[0] = System.nanoTime();
      a.send(ping);
      if (!done.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("round trips stalled at " + count[0]);
      }
      return h;
    } finally {
      a.close();
      b.close();
    }
  }

  /** RSocket's own request-response on the same TCP stack, same payloads: RSocket's share of the cost. */
  static Histogram rsocketRequestResponse() throws Exception {
    byte[] pong = MessageCodec.encode(AppendResponse.accepted(3, "b", "a", 101));
    byte[] ping = MessageCodec.encode(append("a", "b", 100, 64, 1));
    io.rsocket.transport.netty.server.CloseableChannel server = io.rsocket.core.RSocketServer.create(
            io.rsocket.SocketAcceptor.forRequestResponse(p -> {
              MessageCodec.decode(p.getData());
              p.release();
              return reactor.core.publisher.Mono.just(io.rsocket.util.ByteBufPayload.create(pong));
            }))
        .payloadDecoder(io.rsocket.frame.decoder.PayloadDecoder.ZERO_COPY)
        .bindNow(io.rsocket.transport.netty.server.TcpServerTransport.create("127.0.0.1", 0));
    io.rsocket.RSocket client = io.rsocket.core.RSocketConnector.create()
        .payloadDecoder(io.rsocket.frame.decoder.PayloadDecoder.ZERO_COPY)
        .connect(io.rsocket.transport.netty.client.TcpClientTransport.create(server.address())).block();
    Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    int warm = Math.max(1000, rtts / 10);
    CountDownLatch done = new CountDownLatch(1);
    int[] count = new int[1];
    Runnable[] next = new Runnable[1];
    next[0] = () -> {
      long sent = System.nanoTime();
      client.requestResponse(io.rsocket.util.ByteBufPayload.create(ping)).subscribe(p -> {
        long now = System.nanoTime();
        MessageCodec.decode(p.getData());
        p.release();
        if (++count[0] > warm) {
          h.recordValue(now - sent);
        }
        if (count[0] >= warm + rtts) {
          done.countDown();
        } else {
          next[0].run();
        }
      });
    };
    try {
      next[0].run();
      if (!done.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("round trips stalled at " + count[0]);
      }
      return h;
    } finally {
      client.dispose();
      server.dispose();
    }
  }

  static Histogram rawRoundTrip() throws Exception {
    AppendResponse pong = AppendResponse.accepted(3, "b", "a", 101);
    DisposableServer server = TcpServer.create().host("127.0.0.1").port(0)
        .doOnConnection(TransportBenchmark::framed)
        .handle((in, out) -> out.send(in.receive().map(buf -> {
          decode(buf);
          return lengthPrefixed(pong);
        })))
        .bindNow();
    AppendEntries ping = append("a", "b", 100, 64, 1);
    Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    int warm = Math.max(1000, rtts / 10);
    CountDownLatch done = new CountDownLatch(1);
    Sinks.Many<ByteBuf> outbound = Sinks.many().unicast().onBackpressureBuffer();
    Connection client = TcpClient.create().host("127.0.0.1").port(server.port())
        .doOnConnected(TransportBenchmark::framed).connectNow();
    try {
      long[] sentAt = new long[1];
      int[] count = new int[1];
      client.outbound().send(outbound.asFlux()).then().subscribe(null, e -> { });
      client.inbound().receive().subscribe(buf -> {
        long now = System.nanoTime();
        decode(buf);
        if (++count[0] > warm) {
          h.recordValue(now - sentAt[0]);
        }
        if (count[0] >= warm + rtts) {
          done.countDown();
          return;
        }
        sentAt[0] = System.nanoTime();
        outbound.tryEmitNext(lengthPrefixed(ping));
      });
      sentAt[0] = System.nanoTime();
      outbound.tryEmitNext(lengthPrefixed(ping));
      if (!done.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("round trips stalled at " + count[0]);
      }
      return h;
    } finally {
      client.disposeNow(Duration.ofSeconds(5));
      server.disposeNow(Duration.ofSeconds(5));
    }
  }
}

package dev.raftflow.transport.rsocket;

import static org.assertj.core.api.Assertions.assertThat;

import dev.raftflow.engine.codec.MalformedMessageException;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.transport.rsocket.TestKit.Inbox;
import io.netty.buffer.ByteBufAllocator;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.core.RSocketConnector;
import io.rsocket.transport.netty.client.TcpClientTransport;
import io.rsocket.util.ByteBufPayload;
import io.rsocket.util.DefaultPayload;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;

/**
 * Random, truncated and corrupted frames against a live node, at two levels: raw bytes on its TCP
 * port, and well-formed RSocket connections (valid setup) whose channel carries bad frames. Every
 * bad frame is rejected (the connection is closed), nothing leaks, and the node keeps serving.
 */
@Timeout(60)
class FuzzTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @AfterAll
  static void noLeaks() {
    LeakRecorder.assertNoLeaks();
  }

  /** A frame the node must reject: never a valid message from n2 to n1. */
  private static byte[] badFrame(Random r, int i) {
    Message valid = TestKit.anyMessage(r, r.nextInt(7), "n2", "n1");
    byte[] full = WireFormat.encodeMessage(valid);
    byte[] f;
    switch (i % 7) {
      case 0 -> f = Arrays.copyOf(full, r.nextInt(full.length)); // truncated
      case 1 -> {
        f = new byte[r.nextInt(200)];
        r.nextBytes(f); // random
      }
      case 2 -> {
        f = full.clone(); // corrupted
        for (int k = 0; k < 1 + r.nextInt(3); k++) {
          f[r.nextInt(f.length)] ^= (byte) (1 + r.nextInt(255));
        }
      }
      case 3 -> f = WireFormat.encodeMessage(TestKit.anyMessage(r, r.nextInt(7), "n3", "n1")); // wrong sender
      case 4 -> f = WireFormat.encodeMessage(TestKit.anyMessage(r, r.nextInt(7), "n2", "n3")); // wrong target
      case 5 -> f = Arrays.copyOf(full, full.length + 1 + r.nextInt(8)); // trailing garbage
      default -> {
        // a batch, truncated or with one corrupted byte
        List<Message> ms = List.of(TestKit.anyMessage(r, 2, "n2", "n1"), TestKit.anyMessage(r, 0, "n2", "n1"),
            TestKit.anyMessage(r, 3, "n2", "n1"));
        byte[] batch = WireFormat.encodeBatch(ms);
        if (r.nextBoolean()) {
          f = Arrays.copyOf(batch, 2 + r.nextInt(batch.length - 2));
        } else {
          f = batch;
          f[2 + r.nextInt(f.length - 2)] ^= (byte) (1 + r.nextInt(255));
        }
      }
    }
    if (i % 7 != 3 && i % 7 != 4) {
      try {
        WireFormat.Frame fr = WireFormat.decode(f);
        if (fr.messages().stream().allMatch(m -> m.from().equals("n2") && m.to().equals("n1"))) {
          return badFrame(r, i + 7); // the corruption happened to stay valid: draw again
        }
      } catch (MalformedMessageException expected) {
        // good: bad
      }
    }
    return f;
  }

  @Test
  void badFramesOnAuthenticatedChannelsAreRejectedAndTheNodeKeepsServing() {
    Map<String, RSocketTransport> ts = TestKit.cluster(List.of("n1", "n2", "n3"), b -> b);
    RSocketTransport n1 = ts.get("n1");
    Inbox in1 = Inbox.unbounded(n1);
    Random r = new Random(42);
    try {
      TestKit.sendUntilReceived(ts.get("n3"), new RequestVote(1, "n3", "n1", 0, 0), in1, WAIT);
      int rounds = 70;
      for (int i = 0; i < rounds; i++) {
        byte[] setup = SetupFrame.create("test", "n2", "n1", Optional.empty()).encode();
        RSocket fuzzer = RSocketConnector.create()
            .dataMimeType(SetupFrame.MIME_TYPE)
            .setupPayload(DefaultPayload.create(setup))
            .connect(TcpClientTransport.create(n1.localAddress()))
            .block(WAIT);
        byte[] bad = badFrame(r, i);
        Flux<Payload> frames = Flux.just(0, 1, 2).map(k -> switch (k) {
          case 0 -> ByteBufPayload.create(WireFormat.encodeHello(ByteBufAllocator.DEFAULT, "n2"));
          case 1 -> ByteBufPayload.create(WireFormat.encodeMessage(new RequestVote(1000 + k, "n2", "n1", 0, 0)));
          default -> ByteBufPayload.create(bad);
        });
        long rejected = n1.metrics().rejectedFrames();
        fuzzer.requestChannel(frames).subscribe(Payload::release, e -> {});
        TestKit.await("frame " + i + " rejected", WAIT, () -> n1.metrics().rejectedFrames() == rejected + 1);
        TestKit.await("the fuzzer's connection closed", WAIT, fuzzer::isDisposed);
        // the real peer is still served, every round
        Message m = TestKit.sendUntilReceived(ts.get("n3"), new RequestVote(2000 + i, "n3", "n1", 0, 0), in1, WAIT);
        assertThat(m.from()).isIn("n2", "n3");
      }
      assertThat(n1.metrics().rejectedFrames()).isEqualTo(rounds);
      // the good frame before each bad one was delivered, the bad ones never
      synchronized (in1.all) {
        assertThat(in1.all.stream().filter(m -> m.term() == 1001 && m.from().equals("n2")).count()).isEqualTo(rounds);
        assertThat(in1.all).allMatch(m -> m.term() == 1 || m.term() == 1001 || m.term() >= 2000 && m.term() < 2000 + rounds);
      }
    } finally {
      TestKit.closeAll(ts);
    }
  }

  @Test
  void rawGarbageOnTheTcpPortIsDroppedAndTheNodeKeepsServing() throws Exception {
    Map<String, RSocketTransport> ts = TestKit.cluster(List.of("n1", "n2"), b -> b);
    RSocketTransport n1 = ts.get("n1");
    Inbox in1 = Inbox.unbounded(n1);
    Random r = new Random(7);
    InetSocketAddress addr = n1.localAddress();
    try {
      for (int i = 0; i < 60; i++) {
        byte[] junk;
        switch (i % 4) {
          case 0 -> {
            junk = new byte[1 + r.nextInt(300)];
            r.nextBytes(junk);
          }
          case 1 -> {
            // a plausible RSocket length prefix followed by a random frame
            junk = new byte[3 + 6 + r.nextInt(100)];
            r.nextBytes(junk);
            int len = junk.length - 3;
            junk[0] = (byte) (len >>> 16);
            junk[1] = (byte) (len >>> 8);
            junk[2] = (byte) len;
          }
          case 2 -> {
            junk = new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xF0, 0, 0, 0}; // claims a 16 MiB frame, then hangs up
          }
          default -> {
            junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
          }
        }
        try (Socket s = new Socket()) {
          s.connect(addr, 2000);
          OutputStream out = s.getOutputStream();
          out.write(junk);
          out.flush();
        } catch (java.io.IOException ignored) {
          // the node may close first: that is a valid answer
        }
      }
      Message m = TestKit.sendUntilReceived(ts.get("n2"), new RequestVote(5, "n2", "n1", 0, 0), in1, WAIT);
      assertThat(m.from()).isEqualTo("n2");
      TestKit.await("garbage connections are closed", WAIT, () -> TestKit.acceptedConnections(n1) <= 1);
    } finally {
      TestKit.closeAll(ts);
    }
  }
}

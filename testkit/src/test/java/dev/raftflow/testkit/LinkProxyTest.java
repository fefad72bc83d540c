package dev.raftflow.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link LinkProxy}: bytes pass both ways unchanged; a cut closes open connections and refuses new
 * ones; a heal lets them through again.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LinkProxyTest {

  private ServerSocket echo;
  private ProxyLoop loop;
  private LinkProxy proxy;

  @BeforeEach
  void start() throws IOException {
    echo = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
    Thread echoThread = new Thread(this::serveEcho, "echo");
    echoThread.setDaemon(true);
    echoThread.start();
    loop = new ProxyLoop();
    proxy = new LinkProxy(loop, new InetSocketAddress("127.0.0.1", echo.getLocalPort()));
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    loop.close();
    echo.close();
  }

  /** Echoes every connection's bytes back, one thread per connection. */
  private void serveEcho() {
    while (!echo.isClosed()) {
      try {
        Socket s = echo.accept();
        Thread t = new Thread(() -> {
          try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            in.transferTo(out);
          } catch (IOException e) {
            // the proxy closed it
          }
        });
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  @Test
  void bytesPassBothWaysUnchanged() throws Exception {
    assertThat(proxy.address().getAddress().isLoopbackAddress()).isTrue();
    byte[] big = new byte[1 << 20]; // larger than the proxy's buffers: flow control must not lose or reorder
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31 + i / 7);
    }
    try (Socket s = connect()) {
      Thread writer = new Thread(() -> {
        try {
          s.getOutputStream().write(big);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      writer.start();
      byte[] got = s.getInputStream().readNBytes(big.length);
      writer.join();
      assertThat(Arrays.equals(got, big)).as("the echoed megabyte equals the one sent").isTrue();
    }
    assertThat(proxy.bytes()).isEqualTo(2L << 20);
    assertThat(proxy.accepted()).isEqualTo(1);
  }

  @Test
  void aCutClosesOpenConnectionsAndRefusesNewOnesUntilHealed() throws Exception {
    try (Socket open = connect()) {
      assertThat(roundTrip(open, "before")).isEqualTo("before");
      assertThat(proxy.openConnections()).isEqualTo(1);

      proxy.cut();
      assertThat(proxy.isCut()).isTrue();
      assertThat(proxy.openConnections()).isZero();
      assertThat(endOfStream(open)).as("the open connection is closed by the cut").isTrue();
    }
    try (Socket refused = connect()) {
      refused.getOutputStream().write("while cut".getBytes(StandardCharsets.UTF_8));
      assertThat(endOfStream(refused)).as("a new connection is closed at once").isTrue();
    }
    assertThat(proxy.refused()).isEqualTo(1);
    assertThat(proxy.accepted()).isEqualTo(1);

    proxy.heal();
    try (Socket again = connect()) {
      assertThat(roundTrip(again, "after")).isEqualTo("after");
    }
    assertThat(proxy.accepted()).isEqualTo(2);
  }

  @Test
  void aTargetThatRefusesClosesTheAcceptedSide() throws Exception {
    int closedPort;
    try (ServerSocket gone = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = gone.getLocalPort();
    }
    try (LinkProxy toNothing = new LinkProxy(loop, new InetSocketAddress("127.0.0.1", closedPort));
        Socket s = new Socket()) {
      s.connect(toNothing.address(), 5_000);
      s.setSoTimeout(10_000);
      assertThat(endOfStream(s)).isTrue();
      assertThat(toNothing.openConnections()).isZero();
    }
  }

  private Socket connect() throws IOException {
    Socket s = new Socket();
    s.connect(proxy.address(), 5_000);
    s.setSoTimeout(10_000);
    return s;
  }

  private static String roundTrip(Socket s, String text) throws IOException {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    s.getOutputStream().write(b);
    return new String(s.getInputStream().readNBytes(b.length), StandardCharsets.UTF_8);
  }

  /** Whether reading {@code s} ends (end of stream or reset) rather than timing out. */
  private static boolean endOfStream(Socket s) throws IOException {
    try {
      return s.getInputStream().read() == -1;
    } catch (SocketException reset) {
      return true;
    }
  }
}

package dev.raftflow.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports for servers that another process (or a later restart) binds after they are
 * chosen. A port the kernel hands out for {@code bind(0)} comes from the ephemeral range, which
 * outgoing connections draw their local ports from too: between choosing it and binding it, a
 * member already running can connect out from that very port (peer links retry while the other
 * members start), and the bind then fails. These ports come from below the ephemeral range
 * instead, are free when handed out, and are never handed out twice by one JVM. Thread-safe.
 */
public final class FreePorts {

  /** Lowest port handed out: above the well-known and most registered services' ports. */
  private static final int LOWEST = 10_000;
  /** The ephemeral range starts here when the system does not say (Linux's default). */
  private static final int DEFAULT_EPHEMERAL_LOW = 32_768;
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private FreePorts() {
  }

  /**
   * A port on 127.0.0.1 that nothing listens on now and that outgoing connections do not take:
   * below the ephemeral range when it leaves room there, else one the kernel picks.
   *
   * @throws UncheckedIOException when no free port was found
   */
  public static int forServer() {
    int top = ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
    if (top - LOWEST >= 1_000) {
      for (int attempt = 0; attempt < 200; attempt++) {
        int port = ThreadLocalRandom.current().nextInt(LOWEST, top);
        if (!HANDED_OUT.contains(port) && bindable(port) && HANDED_OUT.add(port)) {
          return port;
        }
      }
    }
    for (int attempt = 0; attempt < 200; attempt++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        if (HANDED_OUT.add(s.getLocalPort())) {
          return s.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("no free loopback port", e);
      }
    }
    throw new UncheckedIOException(new IOException("no loopback port that was not handed out already"));
  }

  /** The first port of the ephemeral range named in {@code rangeFile} ("low high"), or Linux's default. */
  static int ephemeralLow(Path rangeFile) {
    try {
      // line by line: Files.readString reads a sysctl file (size 0) short, as "3"
      String[] range = Files.readAllLines(rangeFile).get(0).trim().split("\\s+");
      return Integer.parseInt(range[0]);
    } catch (IOException | RuntimeException notThere) {
      return DEFAULT_EPHEMERAL_LOW;
    }
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException taken) {
      return false;
    }
  }
}

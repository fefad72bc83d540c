package dev.raftflow.transport.rsocket;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The identity a dialing node presents in RSocket's SETUP frame (data, with MIME type {@link
 * #MIME_TYPE}): {@code [version][clusterId][from][to][advertised host][advertised port(2)][timestamp
 * ms][nonce(16)][mac]}, strings and the mac as (1-byte length, bytes).
 *
 * <p>{@code advertised} is where the dialer listens for peers, so that an acceptor that does not
 * know it yet can dial back; none is an empty host and port 0. It is read without a DNS lookup
 * ({@link InetSocketAddress#createUnresolved}).
 *
 * <p>With a shared secret, {@code mac} is HMAC-SHA256(secret, every field before it); the acceptor
 * recomputes it, compares in constant time and refuses timestamps more than {@link #MAX_SKEW_MS}
 * away from its clock. Without TLS the frame is visible on the wire, so the secret proves
 * membership but does not stop a replay within the skew window: use TLS where that matters.
 *
 * <p>Immutable and thread-safe.
 */
public record SetupFrame(String clusterId, String from, String to, Optional<InetSocketAddress> advertised,
    long timestampMillis, byte[] nonce, byte[] mac) {

  /** The SETUP frame's data MIME type: anything else is not a raftflow peer. */
  public static final String MIME_TYPE = "application/x.raftflow.peer.v1";

  static final byte VERSION = 2;
  static final long MAX_SKEW_MS = 5 * 60_000L;
  private static final SecureRandom RANDOM = new SecureRandom();

  public SetupFrame {
    Objects.requireNonNull(advertised, "advertised");
  }

  /** Builds the frame {@code from} sends when dialing {@code to}, advertising no address. */
  public static SetupFrame create(String clusterId, String from, String to, Optional<byte[]> secret) {
    return create(clusterId, from, to, Optional.empty(), secret);
  }

  /** Builds the frame {@code from}, listening at {@code advertised}, sends when dialing {@code to}. */
  public static SetupFrame create(String clusterId, String from, String to, Optional<InetSocketAddress> advertised,
      Optional<byte[]> secret) {
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    long now = System.currentTimeMillis();
    SetupFrame unsigned = new SetupFrame(clusterId, from, to, advertised, now, nonce, new byte[0]);
    byte[] mac = secret.map(s -> hmac(s, unsigned.body())).orElse(new byte[0]);
    return new SetupFrame(clusterId, from, to, advertised, now, nonce, mac);
  }

  public byte[] encode() {
    byte[] body = body();
    ByteBuffer out = ByteBuffer.allocate(body.length + 1 + mac.length);
    out.put(body).put((byte) mac.length).put(mac);
    return out.array();
  }

  /** Parses a SETUP frame's data; throws {@link IllegalArgumentException} saying what is wrong. */
  public static SetupFrame decode(ByteBuffer in) {
    try {
      byte v = in.get();
      if (v != VERSION) {
        throw new IllegalArgumentException("unsupported setup version " + v);
      }
      String cluster = str(in, "cluster id");
      String from = str(in, "node id");
      String to = str(in, "target node id");
      String host = str(in, "advertised host");
      int port = in.getShort() & 0xFFFF;
      Optional<InetSocketAddress> advertised = Optional.empty();
      if (!host.isEmpty()) {
        if (port == 0) {
          throw new IllegalArgumentException("advertised host '" + host + "' without a port in setup frame");
        }
        advertised = Optional.of(InetSocketAddress.createUnresolved(host, port));
      } else if (port != 0) {
        throw new IllegalArgumentException("advertised port " + port + " without a host in setup frame");
      }
      long ts = in.getLong();
      byte[] nonce = new byte[16];
      in.get(nonce);
      int macLen = in.get() & 0xFF;
      byte[] mac = new byte[macLen];
      in.get(mac);
      if (in.hasRemaining()) {
        throw new IllegalArgumentException(in.remaining() + " trailing bytes in setup frame");
      }
      return new SetupFrame(cluster, from, to, advertised, ts, nonce, mac);
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated setup frame");
    }
  }

  /**
   * Checks the mac against {@code secret}; returns the reason for refusal, or empty when it
   * passes.
   */
  public Optional<String> verify(byte[] secret, long nowMillis) {
    if (mac.length == 0) {
      return Optional.of("no shared-secret proof presented");
    }
    byte[] expected = hmac(secret, body());
    if (!MessageDigest.isEqual(expected, mac)) {
      return Optional.of("bad shared-secret proof");
    }
    if (Math.abs(nowMillis - timestampMillis) > MAX_SKEW_MS) {
      return Optional.of("setup timestamp " + (nowMillis - timestampMillis) + " ms away from this node's clock");
    }
    return Optional.empty();
  }

  /** Every field the mac covers, encoded. */
  private byte[] body() {
    byte[] c = bytes(clusterId);
    byte[] f = bytes(from);
    byte[] t = bytes(to);
    byte[] h = bytes(advertised.map(InetSocketAddress::getHostString).orElse(""));
    int port = advertised.map(InetSocketAddress::getPort).orElse(0);
    ByteBuffer b = ByteBuffer.allocate(1 + 4 + c.length + f.length + t.length + h.length + 2 + 8 + nonce.length);
    b.put(VERSION);
    b.put((byte) c.length).put(c).put((byte) f.length).put(f).put((byte) t.length).put(t);
    b.put((byte) h.length).put(h).putShort((short) port);
    b.putLong(timestampMillis).put(nonce);
    return b.array();
  }

  private static byte[] bytes(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > 255) {
      throw new IllegalArgumentException("identifier longer than 255 bytes: " + s);
    }
    return b;
  }

  private static String str(ByteBuffer in, String field) {
    int len = in.get() & 0xFF;
    if (len > in.remaining()) {
      throw new IllegalArgumentException("truncated " + field + " in setup frame");
    }
    byte[] b = new byte[len];
    in.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  static byte[] hmac(byte[] secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}

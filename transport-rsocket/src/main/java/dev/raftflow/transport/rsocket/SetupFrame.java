package dev.raftflow.transport.rsocket;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The identity a dialing node presents in RSocket's SETUP frame (data, with MIME type {@link
 * #MIME_TYPE}): {@code [version][clusterId][from][to][timestamp ms][nonce(16)][mac]}, strings and
 * the mac as (1-byte length, bytes).
 *
 * <p>With a shared secret, {@code mac} is HMAC-SHA256(secret, every field before it); the acceptor
 * recomputes it, compares in constant time and refuses timestamps more than {@link #MAX_SKEW_MS}
 * away from its clock. Without TLS the frame is visible on the wire, so the secret proves
 * membership but does not stop a replay within the skew window: use TLS where that matters.
 *
 * <p>Immutable and thread-safe.
 */
public record SetupFrame(String clusterId, String from, String to, long timestampMillis, byte[] nonce, byte[] mac) {

  /** The SETUP frame's data MIME type: anything else is not a raftflow peer. */
  public static final String MIME_TYPE = "application/x.raftflow.peer.v1";

  static final byte VERSION = 1;
  static final long MAX_SKEW_MS = 5 * 60_000L;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Builds the frame {@code from} sends when dialing {@code to}. */
  public static SetupFrame create(String clusterId, String from, String to, Optional<byte[]> secret) {
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    long now = System.currentTimeMillis();
    byte[] mac = secret.map(s -> hmac(s, body(clusterId, from, to, now, nonce))).orElse(new byte[0]);
    return new SetupFrame(clusterId, from, to, now, nonce, mac);
  }

  public byte[] encode() {
    byte[] body = body(clusterId, from, to, timestampMillis, nonce);
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
      long ts = in.getLong();
      byte[] nonce = new byte[16];
      in.get(nonce);
      int macLen = in.get() & 0xFF;
      byte[] mac = new byte[macLen];
      in.get(mac);
      if (in.hasRemaining()) {
        throw new IllegalArgumentException(in.remaining() + " trailing bytes in setup frame");
      }
      return new SetupFrame(cluster, from, to, ts, nonce, mac);
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
    byte[] expected = hmac(secret, body(clusterId, from, to, timestampMillis, nonce));
    if (!MessageDigest.isEqual(expected, mac)) {
      return Optional.of("bad shared-secret proof");
    }
    if (Math.abs(nowMillis - timestampMillis) > MAX_SKEW_MS) {
      return Optional.of("setup timestamp " + (nowMillis - timestampMillis) + " ms away from this node's clock");
    }
    return Optional.empty();
  }

  private static byte[] body(String clusterId, String from, String to, long ts, byte[] nonce) {
    byte[] c = bytes(clusterId);
    byte[] f = bytes(from);
    byte[] t = bytes(to);
    ByteBuffer b = ByteBuffer.allocate(1 + 3 + c.length + f.length + t.length + 8 + nonce.length);
    b.put(VERSION);
    b.put((byte) c.length).put(c).put((byte) f.length).put(f).put((byte) t.length).put(t);
    b.putLong(ts).put(nonce);
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

package dev.raftflow.server;

import dev.raftflow.transport.rsocket.RSocketTransport;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * How a {@code node} authenticates its peers: a cluster secret every member proves at connection
 * setup (HMAC-SHA256, read from a file so it never shows in a process list), mutual TLS from PEM
 * files (this member's certificate chain and PKCS#8 key, and the certificates it trusts for
 * peers), both or neither. Loaded and checked when built, before anything listens. Immutable.
 */
final class PeerSecurity {

  /** Shortest secret accepted, in bytes (the transport's own floor). */
  static final int MIN_SECRET_BYTES = 16;

  private final byte[] secret;
  private final SslContext serverTls;
  private final SslContext clientTls;

  private PeerSecurity(byte[] secret, SslContext serverTls, SslContext clientTls) {
    this.secret = secret;
    this.serverTls = serverTls;
    this.clientTls = clientTls;
  }

  /**
   * Loads the secret and the TLS files (any may be null; the three TLS files go together).
   *
   * @throws UsageException naming the flag and the file when one is missing, unreadable or invalid
   */
  static PeerSecurity load(Path secretFile, Path tlsCert, Path tlsKey, Path tlsTrust) {
    byte[] secret = secretFile == null ? null : secret(secretFile);
    int tlsFiles = (tlsCert != null ? 1 : 0) + (tlsKey != null ? 1 : 0) + (tlsTrust != null ? 1 : 0);
    if (tlsFiles == 0) {
      return new PeerSecurity(secret, null, null);
    }
    if (tlsFiles != 3) {
      throw new UsageException("mutual TLS needs all of --tls-cert, --tls-key and --tls-trust");
    }
    readable(tlsCert, "--tls-cert");
    readable(tlsKey, "--tls-key");
    readable(tlsTrust, "--tls-trust");
    try {
      SslContext server = SslContextBuilder.forServer(tlsCert.toFile(), tlsKey.toFile())
          .trustManager(tlsTrust.toFile()).clientAuth(ClientAuth.REQUIRE).build();
      SslContext client = SslContextBuilder.forClient().keyManager(tlsCert.toFile(), tlsKey.toFile())
          .trustManager(tlsTrust.toFile()).build();
      return new PeerSecurity(secret, server, client);
    } catch (IOException | RuntimeException e) {
      throw new UsageException("--tls-cert " + tlsCert + ", --tls-key " + tlsKey + ", --tls-trust " + tlsTrust
          + ": cannot be loaded as PEM certificates and a PKCS#8 key: " + Failures.describe(e), e);
    }
  }

  private static byte[] secret(Path file) {
    readable(file, "--secret-file");
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UsageException("--secret-file: cannot read " + file + ": " + Failures.describe(e), e);
    }
    int end = bytes.length;
    while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) {
      end--; // a trailing newline from an editor or 'echo' is not part of the secret
    }
    if (end < MIN_SECRET_BYTES) {
      throw new UsageException("--secret-file " + file + ": the secret is " + end + " bytes; it needs at least "
          + MIN_SECRET_BYTES + " (e.g. 'head -c 32 /dev/urandom | base64 > " + file.getFileName() + "')");
    }
    return Arrays.copyOf(bytes, end);
  }

  private static void readable(Path file, String flag) {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new UsageException(flag + ": " + file + " is not a readable file");
    }
  }

  /** Whether peers must authenticate: a secret, TLS or both. */
  boolean authenticates() {
    return secret != null || serverTls != null;
  }

  /** What protects peer traffic, for the READY line: "secret+tls", "secret", "tls" or "none". */
  String describe() {
    if (secret != null && serverTls != null) {
      return "secret+tls";
    }
    return secret != null ? "secret" : serverTls != null ? "tls" : "none";
  }

  /** Gives the transport the secret and TLS contexts this holds. */
  RSocketTransport.Builder applyTo(RSocketTransport.Builder b) {
    if (secret != null) {
      b.sharedSecret(secret);
    }
    if (serverTls != null) {
      b.tls(serverTls, clientTls);
    }
    return b;
  }

  /** Gives a host transport (many groups per process) the secret and TLS contexts this holds. */
  dev.raftflow.transport.rsocket.RSocketHostTransport.Builder applyTo(
      dev.raftflow.transport.rsocket.RSocketHostTransport.Builder b) {
    if (secret != null) {
      b.sharedSecret(secret);
    }
    if (serverTls != null) {
      b.tls(serverTls, clientTls);
    }
    return b;
  }

  /**
   * Whether {@code host} only takes connections from this machine (a loopback name or address). A
   * wildcard (0.0.0.0, ::) or any other interface is not.
   *
   * @throws UsageException when the host cannot be resolved
   */
  static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new UsageException("--listen: host '" + host + "' cannot be resolved");
    }
  }
}

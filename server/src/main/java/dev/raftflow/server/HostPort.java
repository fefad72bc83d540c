package dev.raftflow.server;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parses the {@code host:port} and {@code id=host:port,...} forms the commands take, with an error
 * naming the flag and the bad part. Stateless.
 */
final class HostPort {

  private HostPort() {}

  /**
   * {@code host:port} as an address ({@code [v6]:port} allowed); port 1..65535, or 0..65535 when
   * {@code mayBeAny} (listen on any free port).
   *
   * @throws UsageException naming {@code what} when it is malformed
   */
  static InetSocketAddress parse(String hostPort, String what, boolean mayBeAny) {
    int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new UsageException(what + ": '" + hostPort + "' is not host:port");
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new UsageException(what + ": '" + hostPort + "' has no port number after the last ':'");
    }
    int min = mayBeAny ? 0 : 1;
    if (port < min || port > 65535) {
      throw new UsageException(what + ": port " + port + " of '" + hostPort + "' is not in " + min + "..65535");
    }
    if (host.isBlank()) {
      throw new UsageException(what + ": '" + hostPort + "' has no host");
    }
    return new InetSocketAddress(host, port);
  }

  /**
   * {@code id=host:port,...} in order; an empty or blank spec is no members.
   *
   * @throws UsageException naming {@code what} on a malformed entry or a repeated id
   */
  static Map<String, InetSocketAddress> members(String spec, String what) {
    Map<String, InetSocketAddress> out = new LinkedHashMap<>();
    if (spec == null || spec.isBlank()) {
      return out;
    }
    for (String part : spec.split(",")) {
      String[] kv = part.trim().split("=", 2);
      if (kv.length != 2 || kv[0].isBlank()) {
        throw new UsageException(what + ": '" + part.trim() + "' is not id=host:port");
      }
      try {
        AddressBook.checkId(kv[0]);
      } catch (IllegalArgumentException e) {
        throw new UsageException(what + ": " + e.getMessage());
      }
      if (out.put(kv[0], parse(kv[1], what + " (" + kv[0] + ")", false)) != null) {
        throw new UsageException(what + ": id '" + kv[0] + "' is given twice");
      }
    }
    return out;
  }

  static String format(InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }
}

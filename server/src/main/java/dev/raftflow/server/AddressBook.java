package dev.raftflow.server;

import dev.raftflow.client.ClientProtocol;
import dev.raftflow.engine.message.EntryType;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.PersistentState;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the members of a {@code node} cluster listen for peer traffic, kept in the replicated log.
 * Adding a member first commits an address-book command {@code id=host:port}; every member, on
 * applying it, records it and hands the address to its transport. The book is part of the node's
 * snapshots, and a restarting node also reads the commands still in its log (see {@link
 * #preload}), so addresses survive restarts.
 *
 * <p>A command is the tag {@code 0xFF 'R' 'F' 'A'} followed by the UTF-8 text {@code
 * id=host:port}. The byte 0xFF never occurs in UTF-8 text and the load generator's payloads are
 * zeros, so no client command is taken for one.
 *
 * <p>Entries are never removed: a removed member keeps its address (a member that is not in the
 * configuration is never sent to, so the address is only a dial hint) and may be added again with
 * a new one. Thread-safe.
 */
public final class AddressBook {

  private static final Logger LOG = LoggerFactory.getLogger(AddressBook.class);
  private static final byte[] TAG = {(byte) 0xFF, 'R', 'F', 'A'};

  private final String self;
  private final BiConsumer<String, InetSocketAddress> sink;
  /** Applied entries: id → host:port. */
  private final Map<String, String> entries = new ConcurrentSkipListMap<>();

  /**
   * @param self this node's id: its own entry is recorded but not handed on
   * @param sink told each other member's address as it is applied (e.g. the transport's addPeer)
   */
  public AddressBook(String self, BiConsumer<String, InetSocketAddress> sink) {
    this.self = self;
    this.sink = sink;
  }

  /** The address-book command recording that {@code id} listens at {@code hostPort}. */
  public static byte[] command(String id, String hostPort) {
    checkId(id);
    address(hostPort);
    byte[] text = (id + "=" + hostPort).getBytes(StandardCharsets.UTF_8);
    byte[] cmd = Arrays.copyOf(TAG, TAG.length + text.length);
    System.arraycopy(text, 0, cmd, TAG.length, text.length);
    return cmd;
  }

  /** Whether {@code command} is an address-book command. */
  public static boolean isCommand(byte[] command) {
    return command.length > TAG.length && Arrays.equals(command, 0, TAG.length, TAG, 0, TAG.length);
  }

  /** Applies an address-book command. A malformed one is ignored (and reported as false). */
  public boolean apply(byte[] command) {
    String[] entry = parse(command);
    if (entry == null || !hand(entry[0], entry[1])) {
      return false;
    }
    entries.put(entry[0], entry[1]);
    return true;
  }

  /** The applied entries, id → host:port (a copy). */
  public Map<String, String> entries() {
    return Map.copyOf(entries);
  }

  /** The applied entries as bytes for a snapshot: count:int, then (id, host:port) as short-length UTF-8. */
  public byte[] encode() {
    Map<String, String> copy = entries();
    byte[][] parts = new byte[copy.size() * 2][];
    int size = 4;
    int i = 0;
    for (Map.Entry<String, String> e : copy.entrySet()) {
      parts[i++] = e.getKey().getBytes(StandardCharsets.UTF_8);
      parts[i++] = e.getValue().getBytes(StandardCharsets.UTF_8);
    }
    for (byte[] p : parts) {
      size += 2 + p.length;
    }
    ByteBuffer b = ByteBuffer.allocate(size).putInt(copy.size());
    for (byte[] p : parts) {
      ClientProtocol.putStr(b, p);
    }
    return b.array();
  }

  /** Applies the entries of a snapshot's book (what {@link #encode()} wrote), read from {@code b}. */
  public void restore(ByteBuffer b) {
    int n = b.getInt();
    for (int i = 0; i < n; i++) {
      String id = ClientProtocol.getStr(b);
      String hostPort = ClientProtocol.getStr(b);
      if (hand(id, hostPort)) {
        entries.put(id, hostPort);
      }
    }
  }

  /**
   * Hands to the sink, without recording them, the addresses in what the store recovered that the
   * node will apply again only once it hears from a leader: the entries past its snapshot,
   * committed or not. A member added after the snapshot may be the very leader it must hear from.
   * An address that never commits is harmless: it is only used to dial a member of the
   * configuration. The snapshot itself is applied on start and restores the book.
   */
  public void preload(PersistentState recovered) {
    for (LogEntry e : recovered.entries()) {
      String[] entry = e.type() == EntryType.COMMAND && isCommand(e.data()) ? parse(e.data()) : null;
      if (entry != null) {
        hand(entry[0], entry[1]);
      }
    }
  }

  /** {id, host:port} of an address-book command, or null when it has no '='. */
  private static String[] parse(byte[] command) {
    String text = new String(command, TAG.length, command.length - TAG.length, StandardCharsets.UTF_8);
    int eq = text.indexOf('=');
    return eq > 0 ? new String[] {text.substring(0, eq), text.substring(eq + 1)} : null;
  }

  /** Hands a well-formed entry to the sink (unless it is this node's own); false when malformed. */
  private boolean hand(String id, String hostPort) {
    InetSocketAddress a;
    try {
      checkId(id);
      a = address(hostPort);
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (!id.equals(self)) {
      try {
        sink.accept(id, a);
      } catch (RuntimeException e) { // never break the apply stream
        LOG.warn("{}: could not take address {}={}", self, id, hostPort, e);
      }
    }
    return true;
  }

  /**
   * Parses {@code host:port} (port 1..65535) into an unresolved address: the name is resolved
   * when dialed, never on the thread that applies the log.
   *
   * @throws IllegalArgumentException when it is not host:port
   */
  public static InetSocketAddress address(String hostPort) {
    int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("'" + hostPort + "' is not host:port");
    }
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + hostPort + "' has no port number");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " of '" + hostPort + "' is out of range");
    }
    return InetSocketAddress.createUnresolved(hostPort.substring(0, colon), port);
  }

  /** @throws IllegalArgumentException when {@code id} cannot be a member id here */
  static void checkId(String id) {
    if (id == null || id.isEmpty() || id.getBytes(StandardCharsets.UTF_8).length > 255
        || id.contains("=") || id.contains(",")) {
      throw new IllegalArgumentException("'" + id + "' is not a member id (1..255 bytes, no '=' or ',')");
    }
  }
}

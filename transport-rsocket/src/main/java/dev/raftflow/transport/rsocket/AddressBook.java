package dev.raftflow.transport.rsocket;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where each peer listens, and whether that address was given (builder, {@code addPeer}, {@code
 * peerAddress}) or learned from the peer's own setup frame. A given address is never overwritten by
 * an advertised one; a learned one follows the peer's latest advertisement.
 *
 * <p>Reads are lock-free; the owner serializes writes (the transport changes it under its monitor).
 */
final class AddressBook {

  /** What became of an advertised address. */
  enum Outcome {
    /** Taken: there was none, or the previous one was learned too. */
    TAKEN,
    /** Already the address known. */
    UNCHANGED,
    /** Ignored: a given address is known. */
    KEPT_GIVEN
  }

  private final Map<String, InetSocketAddress> addresses = new ConcurrentHashMap<>();
  private final Set<String> learned = ConcurrentHashMap.newKeySet();

  /** Where {@code id} listens, or null when not known. */
  InetSocketAddress get(String id) {
    return addresses.get(id);
  }

  /** Records an address given for {@code id}; it replaces any known one. */
  void give(String id, InetSocketAddress address) {
    addresses.put(id, address);
    learned.remove(id);
  }

  /** Offers the address {@code id} advertised in its setup frame. */
  Outcome advertised(String id, InetSocketAddress address) {
    InetSocketAddress known = addresses.get(id);
    if (known != null && sameAddress(known, address)) {
      return Outcome.UNCHANGED;
    }
    if (known != null && !learned.contains(id)) {
      return Outcome.KEPT_GIVEN;
    }
    addresses.put(id, address);
    learned.add(id);
    return Outcome.TAKEN;
  }

  /** Forgets {@code id}'s address, given or learned. */
  void forget(String id) {
    addresses.remove(id);
    learned.remove(id);
  }

  private static boolean sameAddress(InetSocketAddress a, InetSocketAddress b) {
    return a.getPort() == b.getPort() && (a.getHostString().equals(b.getHostString())
        || a.getAddress() != null && a.getAddress().getHostAddress().equals(b.getHostString()));
  }
}

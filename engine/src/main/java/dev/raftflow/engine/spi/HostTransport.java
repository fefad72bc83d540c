package dev.raftflow.engine.spi;

import dev.raftflow.engine.message.Message;
import java.time.Duration;
import java.util.List;
import reactor.core.publisher.Flux;

/**
 * One process's network endpoint, shared by every Raft group the process hosts (multi-raft).
 *
 * <p>Addressing: a group has at most one member per host, and that member's id is the host's id, so
 * a group's {@code Message.to()} names the host that receives it. Every message a group's {@link
 * Transport} sends travels tagged with the group's id, over the one connection this host keeps to
 * the peer host; messages of many groups to one peer may share a frame.
 *
 * <p>Isolation: inbound messages are buffered per group (bounded); when a group's buffer is full,
 * or a message names a group that is not open here, that message is dropped and counted, and the
 * other groups' messages keep flowing. A slow group never stalls the connection.
 *
 * <p>Threading: {@link #openGroup} and {@link #close} from any thread; the returned transports
 * follow {@link Transport}'s contract.
 */
public interface HostTransport extends AutoCloseable {

  /** This host's id: the member id of every group member it hosts. */
  String hostId();

  /**
   * Opens group {@code groupId}'s transport on this host. Closing that transport closes the group's
   * inbound buffer; the group may be opened again afterwards.
   *
   * @throws IllegalStateException when the group is already open here or this transport is closed
   * @throws IllegalArgumentException for an empty id or one longer than 255 bytes of UTF-8
   */
  Transport openGroup(String groupId);

  /**
   * Sends a burst of many groups' messages: {@code messages.get(i)} through {@code groups.get(i)}, a
   * transport this host opened. The same as {@link Transport#send} on each in order, except that the
   * transport may hold the burst until it has all of it, so the messages for one peer host leave in
   * as few frames as it can pack them into. A host's loops call it at the end of each round, from
   * their threads, concurrently. Never throws for a lost peer or a closed group (those messages are
   * dropped and counted as {@code send} would). The default sends one by one.
   */
  default void sendBurst(List<Transport> groups, List<Message> messages) {
    for (int i = 0; i < messages.size(); i++) {
      groups.get(i).send(messages.get(i));
    }
  }

  /**
   * Whether peer hosts answer, for groups that go quiet: the transport pings every peer host it
   * knows at {@code pingInterval} (coalesced with group traffic where it can) and emits {@code
   * reachable=false} for a peer it heard nothing from for {@code downAfter}, then {@code
   * reachable=true} when it hears from it again. Subscribed at most once.
   */
  Flux<HostReachability> reachability(Duration pingInterval, Duration downAfter);

  /** Closes every group's transport and the connections. Idempotent. */
  @Override
  void close();

  /** A change of a peer host's reachability. */
  record HostReachability(String hostId, boolean reachable) {}
}

/**
 * The engine's {@link dev.raftflow.engine.spi.Transport} over RSocket on Reactor Netty TCP: {@link
 * dev.raftflow.transport.rsocket.RSocketTransport} (one credit-paced request-channel per ordered
 * pair of members, optional TLS and shared-secret setup check, a peer set that changes at run time),
 * {@link dev.raftflow.transport.rsocket.WireFormat} (the thin framing around the engine's codec:
 * hello, one message, or a batch), {@link dev.raftflow.transport.rsocket.SetupFrame} (the identity
 * a dialer proves at connection setup) and {@link dev.raftflow.transport.rsocket.TransportMetrics}; and
 * for processes hosting many groups, {@link dev.raftflow.transport.rsocket.RSocketHostTransport} (the
 * engine's {@code HostTransport}: one connection per pair of hosts carrying every group's messages
 * in group-tagged frames, a bounded inbound buffer per group, host reachability) with {@link
 * dev.raftflow.transport.rsocket.HostTransportMetrics}.
 *
 * <p>A message is never split: the transport's {@code maxMessageBytes()} is the frame cap less its
 * framing, and the node checks its options against it when it starts. The package-private parts:
 * {@code PeerLink} (the outbound queue and connection towards one peer, which sees its transport
 * only through {@code LinkHost}), {@code PeerDialer} (opening connections), {@code InboundChannel}
 * and {@code InboundBuffer} (the receiving side and its bounded hand-over to the node), {@code
 * FrameLimit}, {@code LinkSettings} and {@code TransportCounters}; {@code OutboundFrames} (how a
 * link packs its queue into frames: {@code SingleGroupFrames} or the group-tagged {@code
 * GroupFrames}), {@code InboundChannel.Delivery} (what a channel does with a frame), {@code
 * PeerServer} (the listening socket) and {@code ReachabilityWatch}.
 */
package dev.raftflow.transport.rsocket;

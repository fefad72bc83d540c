/**
 * The client side of a raftflow {@code node}: the client protocol's wire format ({@link
 * dev.raftflow.client.ClientProtocol}) and {@link dev.raftflow.client.RemoteClient}, which proposes,
 * reads state and changes membership over it. Depends on RSocket and Reactor only, never on the
 * engine or the server, so a service can use it alone.
 */
package dev.raftflow.client;

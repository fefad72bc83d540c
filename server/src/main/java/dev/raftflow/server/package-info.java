/**
 * The deployable raftflow node: {@link dev.raftflow.server.NodeCommand} runs one member per process
 * (RSocket peers, a Chronicle log, a client-protocol {@link dev.raftflow.server.ClientEndpoint}, the
 * replicated {@link dev.raftflow.server.AddressBook}), and {@link dev.raftflow.server.ClientCommand}
 * talks to running members. Both are picocli commands that {@code raftflow.jar} registers.
 */
package dev.raftflow.server;

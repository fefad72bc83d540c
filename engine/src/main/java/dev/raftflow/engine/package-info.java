/**
 * The engine's vocabulary, shared by every layer: {@link dev.raftflow.engine.Membership}, {@link
 * dev.raftflow.engine.RaftOptions}, {@link dev.raftflow.engine.ApplyEvent}, the node's published
 * {@link dev.raftflow.engine.NodeState} and {@link dev.raftflow.engine.NodeMetrics}, and the errors a
 * caller tells apart ({@link dev.raftflow.engine.RaftException} and its subtypes). It depends on no
 * other package of the engine. The node a service embeds is {@code dev.raftflow.engine.node.RaftNode}.
 */
package dev.raftflow.engine;

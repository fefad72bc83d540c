/**
 * The embeddable node: {@link dev.raftflow.engine.node.RaftNode} (the API a service calls), built by
 * {@link dev.raftflow.engine.node.RaftNodeBuilder}, running the core on one event loop with its write
 * pipeline, its waiters and its apply stream. Public methods are thread-safe and never block.
 */
package dev.raftflow.engine.node;

/**
 * Micrometer meters for raftflow: {@link dev.raftflow.metrics.RaftNodeMeters} for a node (one per
 * group in a host), {@link dev.raftflow.metrics.RSocketTransportMeters} for its transport and {@link
 * dev.raftflow.metrics.HostTransportMeters} for a host's shared transport. An optional module: the
 * engine itself depends on no metrics library. Every meter is described in docs/metrics.md.
 */
package dev.raftflow.metrics;

/**
 * A replicated key-value service built on raftflow: the {@link dev.raftflow.examples.kv.KvStateMachine}
 * run by the engine's exactly-once layer, the {@code kv-server} process ({@link
 * dev.raftflow.examples.kv.KvServerCommand}), the {@code kv} command line ({@link
 * dev.raftflow.examples.kv.KvCli}) and an embeddable {@link dev.raftflow.examples.kv.KvClient}.
 */
package dev.raftflow.examples.kv;

/**
 * Client sessions for exactly-once commands (Raft thesis §6.3). {@link
 * dev.raftflow.engine.session.ExactlyOnceService} is the layer a service uses: it owns a node's
 * apply stream, runs the service's {@link dev.raftflow.engine.session.StateMachine} only for
 * commands not applied before and answers every try of a command with its first answer. Beneath it,
 * pure and deterministic (the same log gives the same result on every member): the table every
 * member keeps in log order ({@link dev.raftflow.engine.session.SessionTable}) and the envelope
 * every entry travels in ({@link dev.raftflow.engine.session.SessionCommand}). See {@code
 * docs/embedding.md}.
 */
package dev.raftflow.engine.session;

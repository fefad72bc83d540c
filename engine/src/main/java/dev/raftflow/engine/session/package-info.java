/**
 * Client sessions for exactly-once commands (Raft thesis §6.3): the table every member keeps in log
 * order ({@link dev.raftflow.engine.session.SessionTable}) and the envelope a session's entries
 * travel in ({@link dev.raftflow.engine.session.SessionCommand}). Pure and deterministic: the same
 * log gives the same table on every member.
 */
package dev.raftflow.engine.session;

/**
 * The messages members exchange (sealed {@link dev.raftflow.engine.message.Message} records: votes,
 * appends, snapshot chunks, their answers, TimeoutNow) and the log entries they carry. Immutable.
 */
package dev.raftflow.engine.message;

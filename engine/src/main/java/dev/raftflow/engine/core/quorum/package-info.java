/**
 * Quorum arithmetic, written once: majority and joint configurations, the committed index, vote
 * outcomes and "heard from a quorum". Pure functions of their inputs; knows nothing of messages,
 * logs or roles.
 */
package dev.raftflow.engine.core.quorum;

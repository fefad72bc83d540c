/**
 * Test tools for services built on raftflow. {@link dev.raftflow.testkit.LinearizabilityChecker}
 * checks a recorded history of client {@link dev.raftflow.testkit.Operation}s against a {@link
 * dev.raftflow.testkit.Model} (a ready {@link dev.raftflow.testkit.KvModel} for key-value stores).
 */
package dev.raftflow.testkit;

/**
 * Test tools for services built on raftflow. {@link dev.raftflow.testkit.LinearizabilityChecker}
 * checks a recorded history of client {@link dev.raftflow.testkit.Operation}s against a {@link
 * dev.raftflow.testkit.Model} (a ready {@link dev.raftflow.testkit.KvModel} for key-value stores).
 * {@link dev.raftflow.testkit.LinkProxy} (on a shared {@link dev.raftflow.testkit.ProxyLoop}) is a
 * TCP relay between two processes that a fault-injection test can cut and heal.
 */
package dev.raftflow.testkit;

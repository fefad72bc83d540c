/**
 * Deterministic simulation kit: a virtual clock and event queue ({@link
 * dev.raftflow.engine.sim.Simulation}), a Reactor scheduler on it ({@link
 * dev.raftflow.engine.sim.SimScheduler}) that runs every node's event loop, cooperative threads for
 * concurrent test clients ({@link dev.raftflow.engine.sim.SimThread}), and the lab's simulated
 * network for one-way Raft messages ({@link dev.raftflow.engine.sim.SimNetwork}).
 *
 * <p>Everything runs on one thread at a time, so a run is a function of its seed: a failure
 * replays exactly. Published in the engine's test-jar for the other modules.
 */
package dev.raftflow.engine.sim;

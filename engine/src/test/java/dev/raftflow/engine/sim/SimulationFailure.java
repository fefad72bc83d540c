package dev.raftflow.engine.sim;

/**
 * A failure detected inside a {@link Simulation} (an event that threw, a simulated thread that
 * failed, an apply error, a livelock), rethrown on the driving test thread.
 */
public final class SimulationFailure extends AssertionError {

  public SimulationFailure(String message, Throwable cause) {
    super(message, cause);
  }
}

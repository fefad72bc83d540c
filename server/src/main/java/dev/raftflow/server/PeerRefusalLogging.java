package dev.raftflow.server;

/**
 * Makes a {@code node} whose peers refuse it say why in its own log. When a peer refuses this
 * node's connection setup (another cluster id, a wrong secret, an id it does not know), the
 * transport learns the peer's reason (an RSocket {@code RejectedSetupException}) but logs it only at
 * INFO, in its {@code PeerLink} logger, and {@code raftflow.jar} logs WARN and above by default. So
 * before the transport starts, this raises that one logger to INFO for slf4j-simple (the binding
 * {@code raftflow.jar} ships), unless the operator chose a level for it. Other bindings are not
 * touched: configure {@code dev.raftflow.transport.rsocket.PeerLink} at INFO there. Called once,
 * before the first transport of the JVM is built (a logger's level is fixed when it is created).
 */
final class PeerRefusalLogging {

  /** slf4j-simple's per-logger level property for the transport's connection events. */
  static final String PROPERTY = "org.slf4j.simpleLogger.log.dev.raftflow.transport.rsocket.PeerLink";

  private PeerRefusalLogging() {}

  static void enable() {
    if (System.getProperty(PROPERTY) == null) {
      System.setProperty(PROPERTY, "info");
    }
  }
}

package dev.raftflow.server;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.NodeState;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Objects;

/**
 * The {@code STATE} and {@code MEMBERS} lines a {@code node} prints, each ending with {@code
 * at=<ISO-8601 UTC instant, milliseconds>}: a {@code STATE} line when the role, term or leader
 * changed since the last one, a {@code MEMBERS} line when the configuration did. Used by one thread.
 */
final class StatusLines {

  /** Fixed width: milliseconds always shown, 'Z' for UTC. */
  private static final DateTimeFormatter UTC_MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSX").withZone(ZoneOffset.UTC);

  private final String id;
  private final Clock clock;
  private NodeState lastState;
  private Membership lastMembership;

  StatusLines(String id, Clock clock) {
    this.id = id;
    this.clock = clock;
  }

  /** The MEMBERS line for {@code m}, or null when it is the configuration last reported. */
  String members(Membership m) {
    if (m.equals(lastMembership)) {
      return null;
    }
    lastMembership = m;
    return String.format("MEMBERS id=%s voters=%s outgoing=%s learners=%s at=%s", id, m.voters(), m.outgoingVoters(),
        m.learners(), now());
  }

  /** The STATE line for {@code s}, or null when role, term and leader are those last reported. */
  String state(NodeState s) {
    NodeState last = lastState;
    if (last != null && s.role() == last.role() && s.term() == last.term()
        && Objects.equals(s.leaderId(), last.leaderId())) {
      return null;
    }
    lastState = s;
    return String.format("STATE id=%s term=%d role=%s leader=%s commit=%d at=%s", id, s.term(), s.role(), s.leaderId(),
        s.commitIndex(), now());
  }

  private String now() {
    return UTC_MILLIS.format(clock.instant());
  }
}

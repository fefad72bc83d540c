package dev.raftflow.engine.core.script;

import dev.raftflow.engine.ApplyEvent;
import dev.raftflow.engine.core.Outcome;
import dev.raftflow.engine.Membership;
import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.AppendResponse;
import dev.raftflow.engine.message.InstallSnapshot;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.Quiesce;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.message.SnapshotResponse;
import dev.raftflow.engine.message.VoteResponse;
import dev.raftflow.engine.spi.LogWrite;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Prints messages, entries, writes and apply events of the core in one compact, deterministic line
 * each, for the expected outputs of the core scripts. Log positions are written {@code index/term}.
 */
final class Fmt {

  private Fmt() {}

  /** The short type name scripts filter on: App, AppResp, Vote, VoteResp, PreVote, PreVoteResp, Snap, SnapResp, TimeoutNow, Quiesce. */
  static String type(Message m) {
    if (m instanceof AppendEntries) {
      return "App";
    } else if (m instanceof AppendResponse) {
      return "AppResp";
    } else if (m instanceof RequestVote v) {
      return v.preVote() ? "PreVote" : "Vote";
    } else if (m instanceof VoteResponse v) {
      return v.preVote() ? "PreVoteResp" : "VoteResp";
    } else if (m instanceof InstallSnapshot) {
      return "Snap";
    } else if (m instanceof SnapshotResponse) {
      return "SnapResp";
    } else if (m instanceof Quiesce) {
      return "Quiesce";
    }
    return "TimeoutNow";
  }

  static String message(Message m) {
    StringBuilder b = new StringBuilder();
    b.append(m.from()).append("->").append(m.to()).append(' ').append(type(m)).append(" term=").append(m.term());
    if (m instanceof AppendEntries a) {
      b.append(" prev=").append(a.prevLogIndex()).append('/').append(a.prevLogTerm());
      b.append(" commit=").append(a.leaderCommit());
      if (!a.entries().isEmpty()) {
        b.append(" entries=").append(entries(a.entries()));
      }
      if (a.readRound() != 0) {
        b.append(" read=").append(a.readRound());
      }
    } else if (m instanceof AppendResponse r) {
      if (r.success()) {
        b.append(" ok match=").append(r.matchIndex());
      } else {
        b.append(" reject prev=").append(r.rejectedIndex())
            .append(" hint=").append(r.conflictIndex()).append('/').append(r.conflictTerm());
      }
      if (r.readRound() != 0) {
        b.append(" read=").append(r.readRound());
      }
    } else if (m instanceof RequestVote v) {
      b.append(" last=").append(v.lastLogIndex()).append('/').append(v.lastLogTerm());
      if (v.transfer()) {
        b.append(" transfer");
      }
    } else if (m instanceof VoteResponse v) {
      b.append(v.granted() ? " granted" : " rejected");
    } else if (m instanceof Quiesce q) {
      b.append(" last=").append(q.lastIndex()).append('/').append(q.lastTerm()).append(" commit=").append(q.commit());
    } else if (m instanceof InstallSnapshot s) {
      b.append(" snap=").append(s.lastIncludedIndex()).append('/').append(s.lastIncludedTerm())
          .append(" seq=").append(s.seq()).append(" bytes=").append(s.offset()).append('+').append(s.data().length)
          .append('/').append(s.totalBytes()).append(" data=").append(text(s.data()));
    } else if (m instanceof SnapshotResponse s) {
      if (s.partial()) {
        b.append(" snap=").append(s.snapshotIndex()).append(" seq=").append(s.seq()).append(" off=")
            .append(s.offset()).append(" have=").append(s.nextOffset());
      } else if (s.matchIndex() > 0) {
        b.append(" installed match=").append(s.matchIndex());
      } else {
        b.append(" refused");
      }
    }
    return b.toString();
  }

  static String entries(List<LogEntry> es) {
    StringJoiner j = new StringJoiner(", ", "[", "]");
    for (LogEntry e : es) {
      j.add(entry(e));
    }
    return j.toString();
  }

  static String entry(LogEntry e) {
    String pos = e.index() + "/" + e.term();
    switch (e.type()) {
      case COMMAND:
        return pos + " cmd:" + new String(e.data(), StandardCharsets.UTF_8);
      case NOOP:
        return pos + " noop";
      default:
        return pos + " conf:" + membership(Membership.decode(e.data()));
    }
  }

  /** {@code {a,b,c}}; while joint {@code {a,b,c,d}&{a,b,c}} (incoming & outgoing); learners follow as {@code learners{e}}. */
  static String membership(Membership m) {
    String s = set(m.voters());
    if (m.isJoint()) {
      s += "&" + set(m.outgoingVoters());
    }
    if (!m.learners().isEmpty()) {
      s += " learners" + set(m.learners());
    }
    return s;
  }

  private static String set(Set<String> ids) {
    return "{" + String.join(",", ids) + "}";
  }

  /** A write: {@code term=2 vote=a snap=5/1 entries=[...]}, each part only when present. */
  static String write(LogWrite w) {
    StringJoiner j = new StringJoiner(" ");
    j.add("#" + w.seq());
    if (w.hardState() != null) {
      j.add("term=" + w.hardState().term());
      j.add("vote=" + (w.hardState().votedFor() == null ? "-" : w.hardState().votedFor()));
    }
    if (w.snapshot() != null) {
      j.add("snap=" + w.snapshot().index() + "/" + w.snapshot().term() + " data=" + text(w.snapshot().data()));
    }
    if (!w.entries().isEmpty()) {
      j.add("entries=" + entries(w.entries()));
    }
    return j.toString();
  }

  static String outcome(Outcome o) {
    if (o instanceof Outcome.ReadConfirmed r) {
      return "read " + r.id() + " confirmed at index " + r.index();
    } else if (o instanceof Outcome.ReadFailed r) {
      return "read " + r.id() + " failed";
    } else if (o instanceof Outcome.MembershipCommitted c) {
      return "membership committed " + membership(c.membership()) + "@" + c.index();
    } else if (o instanceof Outcome.MembershipUnknown u) {
      return "membership change to " + membership(u.target()) + " outcome unknown (leadership lost in term " + u.term() + ")";
    } else if (o instanceof Outcome.TransferEnded t) {
      return "transfer to " + t.target() + " ended " + t.result() + " (term " + t.term() + ", leader "
          + (t.leader() == null ? "-" : t.leader()) + ")";
    } else if (o instanceof Outcome.LeadershipLost l) {
      return "leadership of term " + l.term() + " lost (commit " + l.commitIndex() + ")";
    } else if (o instanceof Outcome.WriteStalled w) {
      return "write #" + w.seq() + " stalled for " + w.ticks() + " ticks";
    }
    return o.toString();
  }

  static String apply(ApplyEvent ev) {
    if (ev instanceof ApplyEvent.SnapshotInstalled s) {
      return "snapshot " + s.index() + "/" + s.term() + " data=" + text(s.data());
    }
    ApplyEvent.Entry e = (ApplyEvent.Entry) ev;
    String pos = e.index() + "/" + e.term();
    return switch (e.kind()) {
      case COMMAND -> pos + " cmd:" + new String(e.command(), StandardCharsets.UTF_8);
      case NOOP -> pos + " noop";
      case CONFIG -> pos + " conf:" + membership(Membership.decode(e.command()));
    };
  }

  static String text(byte[] b) {
    return "\"" + new String(b, StandardCharsets.UTF_8) + "\"";
  }
}

package dev.raftflow.engine.core.script;

import dev.raftflow.engine.Membership;
import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.message.Message;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Runs the commands of one core script against a group of {@link ScriptMember}s and a network that
 * queues every message sent until a command delivers or drops it. Links can be cut (messages sent
 * across them are lost). Each command returns the lines it printed; the README in
 * {@code src/test/resources/core-scripts} lists the commands.
 *
 * <p>A command the runner does not understand fails with {@link ScriptException}; an exception
 * thrown by the core is printed as {@code error: ...} (it is part of the behaviour under test).
 * One instance per script; not thread-safe.
 */
final class ScriptCluster {

  /** A mistake in the script itself (unknown command, bad argument). */
  static final class ScriptException extends RuntimeException {
    ScriptException(String message) {
      super(message);
    }
  }

  private static final int MAX_CAMPAIGN_TICKS = 1000;
  private static final int MAX_STABILIZE_ROUNDS = 100;

  private final Map<String, ScriptMember> members = new LinkedHashMap<>();
  private final List<Message> queue = new ArrayList<>();
  private final Set<String> cutLinks = new HashSet<>();
  private List<String> out = new ArrayList<>();
  private String indent = "";

  /** Runs one command line; returns what it printed ({@code ok} when nothing). */
  List<String> run(String line) {
    out = new ArrayList<>();
    indent = "";
    List<String> words = List.of(line.trim().split("\\s+"));
    Args args = new Args(words.subList(1, words.size()));
    try {
      dispatch(words.get(0), args);
    } catch (ScriptException e) {
      throw e;
    } catch (RuntimeException e) {
      print("error: " + e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    return out.isEmpty() ? List.of("ok") : out;
  }

  private void dispatch(String command, Args a) {
    switch (command) {
      case "create" -> create(a);
      case "tick" -> {
        ScriptMember m = member(a.word(0));
        int n = a.words.size() > 1 ? (int) a.intWord(1) : 1;
        a.done(2);
        for (int i = 0; i < n; i++) {
          m.tick();
        }
      }
      case "wake" -> {
        ScriptMember m = member(a.word(0));
        a.done(1);
        m.wake();
      }
      case "campaign" -> {
        ScriptMember m = member(a.word(0));
        a.done(1);
        ticked(m);
      }
      case "deliver" -> deliver(a, false);
      case "drop" -> deliver(a, true);
      case "queue" -> {
        Predicate<Message> f = filter(a);
        a.done(0);
        queue.stream().filter(f).forEach(m -> print(Fmt.message(m)));
        if (queue.isEmpty()) {
          print("(empty)");
        }
      }
      case "propose" -> {
        ScriptMember m = member(a.word(0));
        List<String> cmds = a.words.subList(1, a.words.size());
        if (cmds.isEmpty()) {
          throw new ScriptException("propose needs a member and at least one command");
        }
        long index = m.propose(cmds);
        print(m.id() + ": propose " + (index < 0 ? "refused" : "at index " + index));
        moveLastToFront();
      }
      case "persist" -> {
        if (a.words.isEmpty()) {
          a.done(0);
          for (ScriptMember m : upMembers()) {
            m.persist(m.pendingWrites());
          }
        } else {
          ScriptMember m = up(a.word(0));
          int n = a.words.size() > 1 ? (int) a.intWord(1) : m.pendingWrites();
          a.done(2);
          if (m.pendingWrites() == 0) {
            print(m.id() + ": nothing to persist");
          }
          m.persist(n);
        }
      }
      case "state" -> forEachNamed(a, m -> m.describe().forEach(this::print), true);
      case "log" -> forEachNamed(a, m -> print(m.log()), false);
      case "apply" -> forEachNamed(a, ScriptMember::apply, false);
      case "snapshot" -> {
        ScriptMember m = up(a.word(0));
        a.done(1);
        if (!m.snapshot()) {
          print(m.id() + ": snapshot not taken (nothing applied past the last one)");
        }
      }
      case "read" -> {
        ScriptMember m = up(a.word(0));
        long readId = a.intWord(1);
        a.done(2);
        boolean ok = m.requestRead(readId);
        print(m.id() + ": read " + readId + (ok ? " pending" : " refused (not leader)"));
        moveLastToFront();
      }
      case "transfer" -> {
        ScriptMember m = up(a.word(0));
        String target = a.word(1);
        a.done(2);
        boolean ok = m.transferLeadership(target);
        print(m.id() + ": transfer to " + target + (ok ? " started" : " refused"));
        moveLastToFront();
      }
      case "change" -> {
        ScriptMember m = up(a.word(0));
        Set<String> voters = a.set("voters");
        Set<String> learners = a.set("learners");
        a.done(1);
        long index = m.proposeMembership(Membership.of(voters, learners));
        print(m.id() + ": change " + (index < 0 ? "refused" : "appended at index " + index));
        moveLastToFront();
      }
      case "crash" -> {
        ScriptMember m = up(a.word(0));
        a.done(1);
        m.crash();
      }
      case "restart" -> {
        ScriptMember m = member(a.word(0));
        a.done(1);
        if (m.up()) {
          throw new ScriptException(m.id() + " is up: crash it first");
        }
        m.restart();
      }
      case "cut" -> {
        String x = member(a.word(0)).id();
        String y = member(a.word(1)).id();
        a.done(2);
        cutLinks.add(link(x, y));
      }
      case "isolate" -> {
        String x = member(a.word(0)).id();
        a.done(1);
        for (String y : members.keySet()) {
          if (!y.equals(x)) {
            cutLinks.add(link(x, y));
          }
        }
      }
      case "heal" -> {
        a.done(0);
        cutLinks.clear();
      }
      case "stabilize" -> stabilize(a);
      default -> throw new ScriptException("unknown command '" + command + "'");
    }
  }

  /** Prints the result line of a call first, before the Ready lines it caused. */
  private void moveLastToFront() {
    out.add(0, out.remove(out.size() - 1));
  }

  private void ticked(ScriptMember m) {
    int mark = out.size();
    int n = m.tickUntilCampaign(MAX_CAMPAIGN_TICKS);
    out.add(mark, m.id() + ": campaigns after " + n + " ticks");
  }

  private void create(Args a) {
    RaftOptions.Builder b = RaftOptions.builder().heartbeatTicks(1).electionTicks(10).preVote(false)
        .checkQuorum(false).leaderNoop(true);
    long seed = a.intOpt("seed", 1);
    b.heartbeatTicks((int) a.intOpt("heartbeatTicks", 1));
    b.electionTicks((int) a.intOpt("electionTicks", 10));
    b.preVote(a.boolOpt("preVote", false));
    b.checkQuorum(a.boolOpt("checkQuorum", false));
    b.leaderNoop(a.boolOpt("leaderNoop", true));
    b.quiesce(a.boolOpt("quiesce", false));
    b.maxInflightMessages((int) a.intOpt("maxInflightMessages", 8));
    b.maxEntriesPerMessage((int) a.intOpt("maxEntriesPerMessage", 512));
    b.snapshotChunkBytes((int) a.intOpt("snapshotChunkBytes", 1 << 20));
    b.snapshotCatchUpEntries((int) a.intOpt("snapshotCatchUpEntries", 10_000));
    Set<String> ids = new LinkedHashSet<>(a.words);
    if (ids.isEmpty()) {
      throw new ScriptException("create needs member ids");
    }
    Set<String> voters = a.opts.containsKey("voters") ? a.set("voters") : ids;
    a.done(a.words.size());
    RaftOptions options = b.build();
    for (String id : ids) {
      if (members.containsKey(id)) {
        throw new ScriptException("member " + id + " exists already");
      }
      members.put(id, new ScriptMember(id, List.copyOf(voters), options, seed, this::send, this::print));
    }
  }

  private boolean send(Message m) {
    if (cutLinks.contains(link(m.from(), m.to())) || !members.containsKey(m.to())) {
      return false;
    }
    queue.add(m);
    return true;
  }

  private static String link(String x, String y) {
    return x.compareTo(y) < 0 ? x + "|" + y : y + "|" + x;
  }

  /** Delivers (or drops) the queued messages that match, in queue order; each receiver handles its Ready. */
  private void deliver(Args a, boolean drop) {
    Predicate<Message> f = filter(a);
    long max = a.intOpt("count", Long.MAX_VALUE);
    a.done(0);
    List<Message> chosen = new ArrayList<>();
    for (Iterator<Message> it = queue.iterator(); it.hasNext() && chosen.size() < max; ) {
      Message m = it.next();
      if (f.test(m)) {
        chosen.add(m);
        it.remove();
      }
    }
    if (chosen.isEmpty()) {
      print("no message matches");
    }
    for (Message m : chosen) {
      if (drop) {
        print("dropped " + Fmt.message(m));
        continue;
      }
      ScriptMember to = members.get(m.to());
      if (!to.up()) {
        print(Fmt.message(m) + "  (lost: " + to.id() + " is down)");
        continue;
      }
      print(Fmt.message(m));
      indent = "  ";
      to.receive(m);
      indent = "";
    }
  }

  private Predicate<Message> filter(Args a) {
    Set<String> from = a.opts.containsKey("from") ? a.set("from") : null;
    Set<String> to = a.opts.containsKey("to") ? a.set("to") : null;
    Set<String> type = a.opts.containsKey("type") ? a.set("type") : null;
    return m -> (from == null || from.contains(m.from())) && (to == null || to.contains(m.to()))
        && (type == null || type.contains(Fmt.type(m)));
  }

  /** Persists every pending write and delivers every message, until nothing is left. */
  private void stabilize(Args a) {
    boolean quiet = a.words.contains("quiet");
    a.done(quiet ? 1 : 0);
    int mark = out.size();
    int delivered = 0;
    for (int round = 0; ; round++) {
      if (round == MAX_STABILIZE_ROUNDS) {
        throw new ScriptException("stabilize: still busy after " + MAX_STABILIZE_ROUNDS + " rounds");
      }
      boolean busy = false;
      for (ScriptMember m : upMembers()) {
        if (m.pendingWrites() > 0) {
          busy = true;
          m.persist(m.pendingWrites());
        }
      }
      if (!queue.isEmpty()) {
        busy = true;
        delivered += queue.size();
        deliver(new Args(List.of()), false);
      }
      if (!busy) {
        break;
      }
    }
    if (quiet) {
      out.subList(mark, out.size()).clear();
      print("stabilized: " + delivered + " messages delivered");
    }
  }

  private void forEachNamed(Args a, java.util.function.Consumer<ScriptMember> action, boolean includeDown) {
    List<ScriptMember> chosen = new ArrayList<>();
    if (a.words.isEmpty()) {
      chosen.addAll(includeDown ? members.values() : upMembers());
    } else {
      for (String id : a.words) {
        chosen.add(includeDown ? member(id) : up(id));
      }
    }
    a.done(a.words.size());
    chosen.forEach(action);
  }

  private List<ScriptMember> upMembers() {
    return members.values().stream().filter(ScriptMember::up).toList();
  }

  private ScriptMember member(String id) {
    ScriptMember m = members.get(id);
    if (m == null) {
      throw new ScriptException("no member '" + id + "' (members: " + members.keySet() + ")");
    }
    return m;
  }

  private ScriptMember up(String id) {
    ScriptMember m = member(id);
    if (!m.up()) {
      throw new ScriptException(id + " is down");
    }
    return m;
  }

  private void print(String line) {
    out.add(indent + line);
  }

  /** A command's arguments: plain words, then {@code key=value} options (each used at most once). */
  private static final class Args {
    final List<String> words = new ArrayList<>();
    final Map<String, String> opts = new LinkedHashMap<>();
    private final Set<String> used = new HashSet<>();

    Args(List<String> tokens) {
      for (String t : tokens) {
        int eq = t.indexOf('=');
        if (eq > 0) {
          if (opts.put(t.substring(0, eq), t.substring(eq + 1)) != null) {
            throw new ScriptException("option " + t.substring(0, eq) + " given twice");
          }
        } else {
          words.add(t);
        }
      }
    }

    String word(int i) {
      if (i >= words.size()) {
        throw new ScriptException("missing argument " + (i + 1));
      }
      return words.get(i);
    }

    long intWord(int i) {
      String w = word(i);
      try {
        return Long.parseLong(w);
      } catch (NumberFormatException e) {
        throw new ScriptException("argument " + (i + 1) + " must be a number, was '" + w + "'");
      }
    }

    long intOpt(String key, long dflt) {
      String v = opt(key);
      try {
        return v == null ? dflt : Long.parseLong(v);
      } catch (NumberFormatException e) {
        throw new ScriptException(key + " must be a number, was '" + v + "'");
      }
    }

    boolean boolOpt(String key, boolean dflt) {
      String v = opt(key);
      if (v == null) {
        return dflt;
      }
      if (!v.equals("true") && !v.equals("false")) {
        throw new ScriptException(key + " must be true or false, was '" + v + "'");
      }
      return Boolean.parseBoolean(v);
    }

    /** A comma-separated set; empty when the option is absent. */
    Set<String> set(String key) {
      String v = opt(key);
      return v == null || v.isEmpty() ? Set.of() : new LinkedHashSet<>(Arrays.asList(v.split(",")));
    }

    private String opt(String key) {
      used.add(key);
      return opts.get(key);
    }

    /** Fails on words beyond {@code wordsAllowed} and on options no one asked for. */
    void done(int wordsAllowed) {
      if (words.size() > wordsAllowed) {
        throw new ScriptException("unexpected argument '" + words.get(wordsAllowed) + "'");
      }
      for (String k : opts.keySet()) {
        if (!used.contains(k)) {
          throw new ScriptException("unknown option '" + k + "'");
        }
      }
    }
  }
}

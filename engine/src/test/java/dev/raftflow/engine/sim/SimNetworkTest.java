package dev.raftflow.engine.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.raftflow.engine.codec.MessageCodec;
import dev.raftflow.engine.message.AppendEntries;
import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.message.VoteResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;

class SimNetworkTest {

  /** A fake server: records what arrives and, optionally, answers every RequestVote at once. */
  static final class Peer extends BaseSubscriber<Message> {
    final SimTransport transport;
    final Simulation sim;
    final boolean answer;
    final List<Message> received = new ArrayList<>();
    final List<Long> receivedAt = new ArrayList<>();

    Peer(Simulation sim, SimTransport transport, boolean answer) {
      this.sim = sim;
      this.transport = transport;
      this.answer = answer;
      transport.inbound().subscribe(this);
    }

    @Override
    protected void hookOnSubscribe(Subscription s) {
      s.request(Long.MAX_VALUE);
    }

    @Override
    protected void hookOnNext(Message m) {
      received.add(m);
      receivedAt.add(sim.nowMillis());
      if (answer && m instanceof RequestVote v) {
        transport.send(new VoteResponse(v.term(), v.to(), v.from(), true));
      }
    }

    long count(Class<?> type) {
      return received.stream().filter(type::isInstance).count();
    }
  }

  private static RequestVote vote(long term, String from, String to) {
    return new RequestVote(term, from, to, 3, 1);
  }

  @Test
  void reliableDeliversAtOnceAsADeepCopyAndCounts() {
    try (Simulation sim = new Simulation(1)) {
      SimNetwork net = new SimNetwork(sim, sim.newRandom());
      Peer a = new Peer(sim, net.transport("a"), true);
      Peer b = new Peer(sim, net.transport("b"), true);
      net.connect("a");
      net.connect("b");
      byte[] data = {1, 2, 3};
      AppendEntries ae = new AppendEntries(2, "a", "b", 0, 0, List.of(LogEntry.command(1, 2, data)), 0);
      a.transport.send(ae);
      RequestVote rv = vote(5, "a", "b");
      a.transport.send(rv);
      sim.sleep(0);
      assertThat(b.received).hasSize(2);
      AppendEntries got = (AppendEntries) b.received.get(0);
      assertThat(got).isNotSameAs(ae);
      assertThat(got.entries().get(0).data()).isNotSameAs(data).containsExactly(1, 2, 3);
      assertThat(a.received).containsExactly(new VoteResponse(5, "b", "a", true));
      assertThat(b.receivedAt).containsOnly(0L);
      assertThat(net.rpcTotal()).isEqualTo(2);
      assertThat(net.rpcCount("b")).isEqualTo(2);
      assertThat(net.rpcCount("a")).isZero();
      assertThat(net.bytesTotal()).isEqualTo(MessageCodec.encodedSize(ae) + MessageCodec.encodedSize(rv)
          + MessageCodec.encodedSize(new VoteResponse(5, "b", "a", true)));
    }
  }

  @Test
  void disconnectedServerGetsNothingButRequestsStillCount() {
    try (Simulation sim = new Simulation(1)) {
      SimNetwork net = new SimNetwork(sim, sim.newRandom());
      Peer a = new Peer(sim, net.transport("a"), true);
      Peer b = new Peer(sim, net.transport("b"), true);
      Peer c = new Peer(sim, net.transport("c"), true);
      net.connect("a");
      net.connect("b");
      a.transport.send(vote(1, "a", "c"));
      c.transport.send(vote(1, "c", "a"));
      a.transport.send(vote(1, "a", "b"));
      // in flight when b is cut off: lost
      net.disconnect("b");
      sim.sleep(10);
      assertThat(c.received).isEmpty();
      assertThat(a.received).isEmpty();
      assertThat(b.received).isEmpty();
      assertThat(net.rpcTotal()).isEqualTo(3);
      assertThat(net.bytesTotal()).isEqualTo(3L * MessageCodec.encodedSize(vote(1, "a", "c")));
      net.connect("b");
      net.connect("c");
      a.transport.send(vote(2, "a", "c"));
      sim.sleep(0);
      assertThat(c.received).hasSize(1);
      assertThat(a.received).hasSize(1);
    }
  }

  @Test
  void oldIncarnationsNeitherSendNorReceive() {
    try (Simulation sim = new Simulation(1)) {
      SimNetwork net = new SimNetwork(sim, sim.newRandom());
      SimTransport aOld = net.transport("a");
      Peer a1 = new Peer(sim, aOld, false);
      Peer b = new Peer(sim, net.transport("b"), false);
      net.connect("a");
      net.connect("b");
      aOld.send(vote(1, "a", "b"));
      sim.sleep(0);
      assertThat(b.received).hasSize(1);
      // a crashes and restarts before b answers: the answer must not reach the new incarnation
      net.disconnect("a");
      net.deleteServer("a");
      Peer a2 = new Peer(sim, net.transport("a"), false);
      net.connect("a");
      b.transport.send(new VoteResponse(1, "b", "a", true));
      aOld.send(vote(1, "a", "b")); // zombie
      sim.sleep(0);
      assertThat(a1.received).isEmpty();
      assertThat(a2.received).isEmpty();
      assertThat(b.received).hasSize(1);
      // once the new incarnation asks, answers reach it
      a2.transport.send(vote(2, "a", "b"));
      sim.sleep(0);
      b.transport.send(new VoteResponse(2, "b", "a", true));
      sim.sleep(0);
      assertThat(a2.received).containsExactly(new VoteResponse(2, "b", "a", true));
      // requests in flight to a deleted server are lost
      net.setReliable(false);
      long before = b.received.size();
      for (int i = 0; i < 20; i++) {
        a2.transport.send(vote(3, "a", "b"));
      }
      net.deleteServer("b");
      sim.sleep(100);
      assertThat(b.received).hasSize((int) before);
    }
  }

  @Test
  void unreliableNetworkDropsAndDelaysAsTheLab() {
    try (Simulation sim = new Simulation(12345)) {
      SimNetwork net = new SimNetwork(sim, sim.newRandom());
      Peer a = new Peer(sim, net.transport("a"), false);
      Peer b = new Peer(sim, net.transport("b"), true);
      net.connect("a");
      net.connect("b");
      net.setReliable(false);
      int n = 20_000;
      long start = sim.nowMillis();
      for (int i = 0; i < n; i++) {
        a.transport.send(vote(1, "a", "b"));
      }
      sim.sleep(30);
      SimNetwork.Stats s = net.stats();
      assertThat(net.rpcTotal()).isEqualTo(n);
      assertThat((double) s.requestsDropped / n).isCloseTo(0.10, within(0.01));
      assertThat(s.requestDelayMaxMs).isEqualTo(26);
      assertThat((double) s.requestDelayTotalMs / n).isCloseTo(13.0, within(0.5));
      assertThat(b.received).hasSize((int) (n - s.requestsDropped));
      assertThat(b.receivedAt).allMatch(t -> t >= start && t <= start + 26);
      assertThat((double) s.repliesDropped / b.received.size()).isCloseTo(0.10, within(0.01));
      assertThat(a.received).hasSize((int) (b.received.size() - s.repliesDropped));
      assertThat(net.rpcCount("b")).isEqualTo(b.received.size());
      long replyBytes = a.received.size() * (long) MessageCodec.encodedSize(new VoteResponse(1, "b", "a", true));
      assertThat(net.bytesTotal()).isEqualTo(n * (long) MessageCodec.encodedSize(vote(1, "a", "b")) + replyBytes);
    }
  }

  @Test
  void longReorderingHoldsBackTwoThirdsOfRepliesEvenAcrossADisconnect() {
    try (Simulation sim = new Simulation(99)) {
      SimNetwork net = new SimNetwork(sim, sim.newRandom());
      Peer a = new Peer(sim, net.transport("a"), false);
      Peer b = new Peer(sim, net.transport("b"), true);
      net.connect("a");
      net.connect("b");
      net.setLongReordering(true);
      int n = 3_000;
      for (int i = 0; i < n; i++) {
        a.transport.send(vote(1, "a", "b"));
      }
      sim.sleep(0);
      long immediate = a.received.size();
      assertThat(b.received).hasSize(n);
      assertThat((double) net.stats().repliesHeld / n).isCloseTo(2.0 / 3, within(0.03));
      assertThat(immediate).isEqualTo(n - net.stats().repliesHeld);
      net.disconnect("a");
      sim.sleep(199);
      assertThat(a.received).hasSize((int) immediate);
      sim.sleep(2001);
      assertThat(a.received).hasSize(n);
      assertThat(a.receivedAt.get(a.receivedAt.size() - 1)).isBetween(200L, 2200L);
      // held replies make a difference in the bytes only once delivered
      assertThat(net.stats().repliesDelivered).isEqualTo(n);
    }
  }
}

package dev.raftflow.transport.rsocket;

import static dev.raftflow.transport.rsocket.TestKit.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.RaftOptions;
import dev.raftflow.engine.memory.MemoryLogStore;
import dev.raftflow.engine.message.Message;
import dev.raftflow.engine.message.ReadIndexRequest;
import dev.raftflow.engine.message.RequestVote;
import dev.raftflow.engine.node.RaftNode;
import dev.raftflow.transport.rsocket.TestKit.Inbox;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Wire versions: members agree on the highest version both speak, send nothing newer, refuse a
 * member they share no version with (saying so), and a group upgrades member by member.
 */
@Timeout(60)
class WireVersionsTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void rangesAgreeOnTheHighestCommonVersion() {
    WireVersions.Range both = new WireVersions.Range(1, 2);
    assertThat(both.agree(new WireVersions.Range(1, 1))).contains(1);
    assertThat(both.agree(new WireVersions.Range(2, 5))).contains(2);
    assertThat(both.agree(new WireVersions.Range(3, 3))).isEmpty();
    assertThat(WireVersions.decode(null)).as("a dialer stating nothing is version 1").isEqualTo(new WireVersions.Range(1, 1));
    assertThat(WireVersions.decode(ByteBuffer.wrap(WireVersions.encode(both)))).isEqualTo(both);
    assertThatThrownBy(() -> WireVersions.decode(ByteBuffer.wrap(new byte[] {9, 1, 2})))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new WireVersions.Range(2, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void messagesOfANewerVersionAreNotSentToAnOlderMember() {
    Map<String, RSocketTransport> ts = new HashMap<>();
    ts.put("new", RSocketTransport.builder().clusterId("test").nodeId("new").bind("127.0.0.1", 0)
        .peers(List.of("new", "old")).start());
    ts.put("old", RSocketTransport.builder().clusterId("test").nodeId("old").bind("127.0.0.1", 0)
        .peers(List.of("new", "old")).wireVersions(1, 1).start());
    TestKit.wire(ts);
    try {
      Inbox atNew = Inbox.unbounded(ts.get("new"));
      Inbox atOld = Inbox.unbounded(ts.get("old"));
      TestKit.sendUntilReceived(ts.get("old"), new RequestVote(1, "old", "new", 0, 0), atNew, WAIT); // old dials in
      TestKit.sendUntilReceived(ts.get("new"), new RequestVote(1, "new", "old", 0, 0), atOld, WAIT);
      long dropped = ts.get("new").metrics().droppedUnreachable();
      ts.get("new").send(new ReadIndexRequest(1, "new", "old", 7));
      ts.get("new").send(new RequestVote(2, "new", "old", 0, 0));
      Message next = atOld.poll(WAIT);
      assertThat(next).as("the version-1 message arrives; the read-index one was not sent").isInstanceOf(RequestVote.class);
      assertThat(ts.get("new").metrics().droppedUnreachable()).isEqualTo(dropped + 1);
      // the other way, an old member's messages are all version 1 and arrive
      TestKit.sendUntilReceived(ts.get("old"), new RequestVote(3, "old", "new", 0, 0), atNew, WAIT);
    } finally {
      ts.values().forEach(RSocketTransport::close);
    }
  }

  @Test
  void aMemberWithNoVersionInCommonIsRefusedAndBothSidesSayWhy() throws Exception {
    RSocketTransport a = RSocketTransport.builder().clusterId("test").nodeId("a").bind("127.0.0.1", 0)
        .peers(List.of("a", "future")).start();
    RSocketTransport future = RSocketTransport.builder().clusterId("test").nodeId("future").bind("127.0.0.1", 0)
        .peers(List.of("a", "future")).wireVersions(3, 4).start();
    try {
      future.peerAddress("a", a.localAddress());
      Inbox atA = Inbox.unbounded(a);
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (a.lastRefusal() == null && System.nanoTime() < deadline) {
        future.send(new RequestVote(1, "future", "a", 0, 0));
        Thread.sleep(20);
      }
      assertThat(a.lastRefusal()).contains("speaks wire version 3..4, this node speaks 1..2");
      assertThat(atA.poll(Duration.ofMillis(300))).as("nothing delivered").isNull();
      await("the refused dialer logs the reason itself", WAIT,
          () -> String.valueOf(future.refusalBy("a")).contains("speaks wire version 3..4, this node speaks 1..2"));
    } finally {
      a.close();
      future.close();
    }
  }

  /**
   * A group of three with follower reads, one member still on the old version (wire version 1):
   * the group commits throughout; while the old member leads, a new follower's read cannot reach it
   * and fails instead of breaking the link; once that member is upgraded (restarted on the new
   * version from its store), follower reads work under it too.
   */
  @Test
  void aGroupUpgradesMemberByMember() throws Exception {
    // elections after 1-2 s: the test moves the leadership on purpose, a loaded host must not
    RaftOptions options = RaftOptions.builder().tickInterval(Duration.ofMillis(10)).heartbeatTicks(10)
        .electionTicks(100).followerReads(true).build();
    List<String> ids = List.of("n1", "n2", "n3");
    Map<String, MemoryLogStore> stores = new HashMap<>();
    Map<String, RSocketTransport> ts = new HashMap<>();
    Map<String, RaftNode> nodes = new HashMap<>();
    for (String id : ids) {
      stores.put(id, new MemoryLogStore());
      ts.put(id, transport(id, ids, 0, id.equals("n3") ? 1 : 2));
    }
    TestKit.wire(ts);
    try {
      for (String id : ids) {
        nodes.put(id, start(id, ids, ts.get(id), stores.get(id), options));
      }
      leadAndCommit(nodes, "n1", (byte) 1);
      assertThat(nodes.get("n2").readIndex().get(10, TimeUnit.SECONDS)).as("a follower read on new members").isPositive();

      leadAndCommit(nodes, "n3", (byte) 2); // the old member leads
      assertThatThrownBy(() -> nodes.get("n2").readIndex().get(10, TimeUnit.SECONDS))
          .as("the old leader cannot be asked: the read fails").isInstanceOf(ExecutionException.class);
      nodes.get("n3").submit(new byte[] {3}).block(WAIT); // and the group goes on

      // upgrade n3: restart it on the new version, same store and port
      int port = ts.get("n3").localAddress().getPort();
      nodes.get("n3").close();
      nodes.get("n3").onClose().block(WAIT);
      RSocketTransport upgraded = transport("n3", ids, port, 2);
      for (String id : ids) {
        if (!id.equals("n3")) {
          upgraded.peerAddress(id, ts.get(id).localAddress());
        }
      }
      ts.put("n3", upgraded);
      nodes.put("n3", start("n3", ids, upgraded, stores.get("n3").copy(), options));
      leadAndCommit(nodes, "n3", (byte) 4);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      Long read = null;
      while (read == null && System.nanoTime() < deadline) {
        try {
          read = nodes.get("n2").readIndex().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          Thread.sleep(50); // until n3 has dialed n2 on the new version
        }
      }
      assertThat(read).as("a follower read under the upgraded leader").isNotNull().isPositive();
    } finally {
      nodes.values().forEach(RaftNode::close);
      ts.values().forEach(RSocketTransport::close);
    }
  }

  /**
   * Makes {@code id} the leader (moving the leadership there) and commits a command through it,
   * trying again if the leadership moves on its own meanwhile (the first election may still be
   * settling).
   */
  private static void leadAndCommit(Map<String, RaftNode> nodes, String id, byte command) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        RaftNode leader = awaitLeader(nodes);
        if (!leader.id().equals(id)) {
          leader.transferLeadership(id).get(10, TimeUnit.SECONDS);
        }
        nodes.get(id).submit(new byte[] {command}).block(WAIT);
        return;
      } catch (ExecutionException | RuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(id + " did not lead and commit within 60 s", e);
        }
        Thread.sleep(50);
      }
    }
  }

  private static RSocketTransport transport(String id, List<String> ids, int port, int maxVersion) {
    return RSocketTransport.builder().clusterId("test").nodeId(id).bind("127.0.0.1", port).peers(ids)
        .backoff(Duration.ofMillis(20), Duration.ofMillis(200)).wireVersions(1, maxVersion).start();
  }

  private static RaftNode start(String id, List<String> ids, RSocketTransport t, MemoryLogStore store, RaftOptions o) {
    RaftNode n = RaftNode.builder().id(id).members(ids).transport(t).logStore(store).options(o).start();
    n.applied().subscribe();
    return n;
  }

  private static RaftNode awaitLeader(Map<String, RaftNode> nodes) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      List<RaftNode> leaders = new ArrayList<>();
      for (RaftNode n : nodes.values()) {
        if (!n.isClosed() && n.state().isLeader()) {
          leaders.add(n);
        }
      }
      if (leaders.size() == 1) {
        return leaders.get(0);
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no single leader");
  }
}

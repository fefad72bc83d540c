package dev.raftflow.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on 127.0.0.1 toward one target address that can be cut and healed: one directed
 * link of a fault-injection run. Each accepted connection gets its own connection to the target
 * and bytes are copied both ways unchanged (flow-controlled: a side that cannot write stops the
 * other side's reads). {@link #cut()} closes every current connection (both sockets) and, until
 * {@link #heal()}, accepts new ones and closes them at once; a connection the target refuses or
 * drops is closed on the accepted side too. All sockets live on a shared {@link ProxyLoop};
 * every method is thread-safe and returns once the loop has done what it says.
 */
public final class LinkProxy implements AutoCloseable {

  private static final int BUFFER_BYTES = 64 * 1024;

  private final ProxyLoop loop;
  private final InetSocketAddress target;
  private final ServerSocketChannel server;
  private final Set<Relay> relays = new HashSet<>(); // loop thread only
  private volatile boolean cut;
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();

  /** Binds a new proxy toward {@code target} on 127.0.0.1 at any free port. */
  public LinkProxy(ProxyLoop loop, InetSocketAddress target) {
    this.loop = loop;
    this.target = target;
    try {
      server = ServerSocketChannel.open();
      server.bind(new InetSocketAddress("127.0.0.1", 0));
      server.configureBlocking(false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind a link proxy on 127.0.0.1", e);
    }
    loop.call(() -> register(server, SelectionKey.OP_ACCEPT, new ProxyLoop.Handler() {
      @Override
      public void ready(SelectionKey key) throws IOException {
        accept();
      }

      @Override
      public void failed(IOException e) {
        // an accept failed (e.g. the client gave up at once): keep listening
      }
    }));
  }

  /** Where this proxy listens (127.0.0.1). */
  public InetSocketAddress address() {
    try {
      return (InetSocketAddress) server.getLocalAddress();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public InetSocketAddress target() {
    return target;
  }

  /** Closes every current connection and refuses new ones until {@link #heal()}. Idempotent. */
  public void cut() {
    loop.call(() -> {
      cut = true;
      for (Relay r : new ArrayList<>(relays)) {
        r.close();
      }
      return null;
    });
  }

  /** Lets new connections through again. Idempotent. */
  public void heal() {
    loop.call(() -> {
      cut = false;
      return null;
    });
  }

  public boolean isCut() {
    return cut;
  }

  /** Connections currently relayed. */
  public int openConnections() {
    return loop.call(relays::size);
  }

  /** Connections accepted and relayed since start. */
  public long accepted() {
    return accepted.get();
  }

  /** Connections accepted while cut, and closed at once. */
  public long refused() {
    return refused.get();
  }

  /** Bytes relayed since start, both ways. */
  public long bytes() {
    return bytes.get();
  }

  @Override
  public void close() {
    loop.call(() -> {
      for (Relay r : new ArrayList<>(relays)) {
        r.close();
      }
      closeQuietly(server);
      return null;
    });
  }

  private Void register(java.nio.channels.SelectableChannel ch, int ops, ProxyLoop.Handler h) {
    try {
      ch.register(loop.selector(), ops, h);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return null;
  }

  private void accept() throws IOException {
    SocketChannel down;
    while ((down = server.accept()) != null) {
      if (cut) {
        refused.incrementAndGet();
        closeQuietly(down);
        continue;
      }
      accepted.incrementAndGet();
      Relay r = new Relay(down);
      relays.add(r);
      r.start();
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  /** One accepted connection ("down") and its connection to the target ("up"). Loop thread only. */
  private final class Relay {
    private final End down;
    private final End up;
    private boolean closed;

    Relay(SocketChannel downChannel) throws IOException {
      down = new End(downChannel);
      up = new End(SocketChannel.open());
      down.peer = up;
      up.peer = down;
    }

    void start() throws IOException {
      down.channel.configureBlocking(false);
      down.channel.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
      up.channel.configureBlocking(false);
      up.channel.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
      down.connected = true;
      down.key = down.channel.register(loop.selector(), SelectionKey.OP_READ, down);
      if (up.channel.connect(target)) {
        up.connected = true;
        up.key = up.channel.register(loop.selector(), SelectionKey.OP_READ, up);
      } else {
        up.key = up.channel.register(loop.selector(), SelectionKey.OP_CONNECT, up);
      }
    }

    void close() {
      if (closed) {
        return;
      }
      closed = true;
      relays.remove(this);
      closeQuietly(down.channel);
      closeQuietly(up.channel);
    }

    /** One socket of the relay; {@code inbound} holds what was read from it and not yet written to its peer. */
    private final class End implements ProxyLoop.Handler {
      final SocketChannel channel;
      final ByteBuffer inbound = ByteBuffer.allocate(BUFFER_BYTES); // always in fill mode
      End peer;
      SelectionKey key;
      boolean connected;

      End(SocketChannel channel) {
        this.channel = channel;
      }

      @Override
      public void ready(SelectionKey k) throws IOException {
        if (k.isConnectable()) {
          channel.finishConnect(); // throws when the target refuses
          connected = true;
          k.interestOps(SelectionKey.OP_READ);
          peer.flushTo(this);
        }
        if (!closed && k.isValid() && k.isReadable()) {
          int n = channel.read(inbound);
          if (n < 0) {
            close();
            return;
          }
          flushTo(peer);
        }
        if (!closed && k.isValid() && k.isWritable()) {
          peer.flushTo(this);
        }
      }

      /** Writes what was read from this end to {@code to}, adjusting interest on both sides. */
      void flushTo(End to) throws IOException {
        if (closed || !to.connected) {
          updateReadInterest();
          return;
        }
        inbound.flip();
        int n = to.channel.write(inbound);
        bytes.addAndGet(n);
        inbound.compact();
        boolean pending = inbound.position() > 0;
        int toOps = to.key.interestOps();
        to.key.interestOps(pending ? toOps | SelectionKey.OP_WRITE : toOps & ~SelectionKey.OP_WRITE);
        updateReadInterest();
      }

      private void updateReadInterest() {
        if (key == null || !key.isValid() || !connected) {
          return;
        }
        int ops = key.interestOps();
        key.interestOps(inbound.hasRemaining() ? ops | SelectionKey.OP_READ : ops & ~SelectionKey.OP_READ);
      }

      @Override
      public void failed(IOException e) {
        close();
      }
    }
  }
}

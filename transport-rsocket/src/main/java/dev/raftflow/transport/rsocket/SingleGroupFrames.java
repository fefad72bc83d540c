package dev.raftflow.transport.rsocket;

import dev.raftflow.engine.codec.Varint;
import dev.raftflow.engine.message.Message;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * The frames of {@link RSocketTransport}: {@link WireFormat}'s hello, one message alone, or a batch
 * of what is queued (up to the batch bounds). A message that does not fit next to the first leaves
 * it alone in its frame.
 */
final class SingleGroupFrames implements OutboundFrames {

  static final SingleGroupFrames INSTANCE = new SingleGroupFrames();

  private SingleGroupFrames() {}

  @Override
  public ByteBuf hello(ByteBufAllocator alloc, String nodeId) {
    return WireFormat.encodeHello(alloc, nodeId);
  }

  @Override
  public Builder builder(LinkSettings settings) {
    return new Batch(settings);
  }

  private static final class Batch implements Builder {
    private final LinkSettings settings;
    private final List<Message> batch = new ArrayList<>();
    private final int[] sizes;
    private int firstBytes;
    private int total;
    private int prefixes;

    Batch(LinkSettings settings) {
      this.settings = settings;
      this.sizes = new int[Math.max(1, settings.maxBatchMessages())];
    }

    @Override
    public void start(PeerLink.Queued first) {
      batch.clear();
      batch.add(first.message());
      firstBytes = first.bytes();
      total = first.bytes() - WireFormat.HEADER_BYTES;
      sizes[0] = total;
      prefixes = Varint.length(total);
    }

    @Override
    public boolean tryAdd(PeerLink.Queued next) {
      if (batch.size() == 1 && firstBytes + next.bytes() > settings.maxBatchBytes()) {
        return false;
      }
      int cs = next.bytes() - WireFormat.HEADER_BYTES;
      int grown = WireFormat.batchFrameSize(batch.size() + 1, total + cs, prefixes + Varint.length(cs));
      if (grown > settings.maxBatchBytes()) {
        return false;
      }
      sizes[batch.size()] = cs;
      batch.add(next.message());
      total += cs;
      prefixes += Varint.length(cs);
      return true;
    }

    @Override
    public int messages() {
      return batch.size();
    }

    @Override
    public ByteBuf build(ByteBufAllocator alloc) {
      if (batch.size() == 1) {
        return WireFormat.encodeMessage(alloc, batch.get(0));
      }
      return WireFormat.encodeBatch(alloc, batch, sizes, WireFormat.batchFrameSize(batch.size(), total, prefixes));
    }

    @Override
    public void reset() {
      batch.clear();
    }
  }
}

package dev.raftflow.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.raftflow.engine.spi.SnapshotSink;
import dev.raftflow.engine.spi.SnapshotStaging;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class SnapshotDataTest {

  @Test
  void bytesAreReadByPositionAsSlicesAndAsAStream() throws Exception {
    byte[] b = "0123456789".getBytes();
    SnapshotData d = SnapshotData.of(b);
    assertThat(d.size()).isEqualTo(10);
    assertThat(d.toBytes()).isSameAs(b);
    assertThat(d.slice(0, 10)).isSameAs(b);
    assertThat(new String(d.slice(3, 4))).isEqualTo("3456");
    ByteBuffer dst = ByteBuffer.allocate(8);
    assertThat(d.read(6, dst)).as("up to the end").isEqualTo(4);
    assertThat(d.read(10, ByteBuffer.allocate(1))).isZero();
    try (InputStream in = d.openStream()) {
      assertThat(in.read()).isEqualTo('0');
      assertThat(in.skip(2)).isEqualTo(2);
      assertThat(new String(in.readAllBytes())).isEqualTo("3456789");
      assertThat(in.read()).isEqualTo(-1);
    }
    assertThatThrownBy(() -> d.slice(8, 3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside");
    assertThatThrownBy(() -> d.read(11, ByteBuffer.allocate(1))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aSnapshotTooLargeForAnArrayIsReadAsAStreamOnly() {
    SnapshotData huge = new SnapshotData() {
      @Override
      public long size() {
        return 3L << 30;
      }

      @Override
      public int read(long position, ByteBuffer dst) {
        int n = (int) Math.min(dst.remaining(), size() - position);
        dst.position(dst.position() + n);
        return n;
      }
    };
    assertThatThrownBy(huge::toBytes).isInstanceOf(IllegalStateException.class).hasMessageContaining("stream");
    assertThatThrownBy(() -> new ApplyEvent.SnapshotInstalled(5, 1, huge).data()).isInstanceOf(IllegalStateException.class);
    assertThat(new ApplyEvent.SnapshotInstalled(5, 1, huge).size()).isEqualTo(3L << 30);
  }

  @Test
  void theMemoryStagingGrowsAndFinishesOnce() throws Exception {
    SnapshotSink sink = SnapshotStaging.inMemory().begin(-1);
    try (OutputStream out = sink.asOutputStream()) {
      for (int i = 0; i < 1000; i++) {
        out.write(("chunk" + i).getBytes());
      }
      out.write('!');
    }
    SnapshotData d = sink.finish();
    assertThat(d.size()).isEqualTo(sink.written());
    assertThat(new String(d.toBytes())).startsWith("chunk0chunk1").endsWith("chunk999!");
    assertThatThrownBy(sink::finish).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> SnapshotStaging.inMemory().begin(3L << 30)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("stages snapshots in files");
  }
}

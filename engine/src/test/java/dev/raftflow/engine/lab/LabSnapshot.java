package dev.raftflow.engine.lab;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The snapshot the tester's snapshot applier takes (lab: {@code SnapShotInterval} snapshots): the
 * last included index, then every command from index 0 to it ({@code null} where none was
 * recorded, as for index 0). Format: int index, int count, then per command an int length and
 * {@link LabCommand} bytes.
 */
public record LabSnapshot(long lastIncludedIndex, List<Object> commands) {

  public LabSnapshot {
    commands = Collections.unmodifiableList(new ArrayList<>(commands));
  }

  public byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeLong(lastIncludedIndex);
      out.writeInt(commands.size());
      for (Object c : commands) {
        byte[] b = LabCommand.encode(c);
        out.writeInt(b.length);
        out.write(b);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * Decodes a snapshot.
   *
   * @throws IllegalArgumentException when the bytes are not a whole snapshot
   */
  public static LabSnapshot decode(byte[] data) {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
      long index = in.readLong();
      int n = in.readInt();
      if (n < 0 || n > data.length) {
        throw new IllegalArgumentException("snapshot claims " + n + " commands");
      }
      List<Object> cmds = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int len = in.readInt();
        if (len <= 0 || len > in.available()) {
          throw new IllegalArgumentException("snapshot command " + i + " claims " + len + " bytes");
        }
        cmds.add(LabCommand.decode(in.readNBytes(len)));
      }
      if (in.available() != 0) {
        throw new IllegalArgumentException(in.available() + " trailing bytes in snapshot");
      }
      return new LabSnapshot(index, cmds);
    } catch (IOException e) {
      throw new IllegalArgumentException("snapshot decode error: " + e, e);
    }
  }
}

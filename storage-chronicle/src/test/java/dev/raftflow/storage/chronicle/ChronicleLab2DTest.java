package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.lab.Lab2DTest;
import dev.raftflow.engine.lab.PersisterFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The lab's 2D (log compaction) scenarios with every server on a {@link ChronicleLogStore}. */
class ChronicleLab2DTest extends Lab2DTest {
  @TempDir Path base;

  @Override
  protected PersisterFactory persisters() {
    return ChronicleStoreHandle.factory(base, TestStoreOptions.LAB);
  }
}

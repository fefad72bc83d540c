package dev.raftflow.storage.chronicle;

import dev.raftflow.engine.lab.Lab2CTest;
import dev.raftflow.engine.lab.PersisterFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab's 2C (persistence) scenarios with every server on a {@link ChronicleLogStore}: a crash
 * copies the store's files as written and the restarted server recovers from the copy.
 */
class ChronicleLab2CTest extends Lab2CTest {
  @TempDir Path base;

  @Override
  protected PersisterFactory persisters() {
    return ChronicleStoreHandle.factory(base, TestStoreOptions.LAB);
  }
}

package dev.raftflow.bench;

import dev.raftflow.engine.spi.ForwardingLogStore;
import dev.raftflow.engine.spi.HostLogStore;
import dev.raftflow.engine.spi.LogStore;
import dev.raftflow.storage.chronicle.ChronicleLogStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A {@link HostLogStore} that gives each group a Chronicle store of its own (a directory per group,
 * a sync per group per write): the baseline the shared host log is measured against. Thread-safe.
 */
final class PerGroupLogs implements HostLogStore {

  private final Path dir;
  private final ChronicleLogStore.Options options;
  private final Set<String> open = ConcurrentHashMap.newKeySet();

  PerGroupLogs(Path dir, ChronicleLogStore.Options options) {
    this.dir = dir;
    this.options = options;
  }

  @Override
  public LogStore openGroup(String groupId) {
    if (!open.add(groupId)) {
      throw new IllegalStateException("the store of group " + groupId + " is already open");
    }
    return new ForwardingLogStore(ChronicleLogStore.open(dir.resolve(groupId), options)) {
      @Override
      public void close() {
        try {
          super.close();
        } finally {
          open.remove(groupId);
        }
      }
    };
  }

  @Override
  public Set<String> groups() {
    Set<String> out = new TreeSet<>();
    if (Files.isDirectory(dir)) {
      try (Stream<Path> s = Files.list(dir)) {
        s.filter(Files::isDirectory).forEach(p -> out.add(p.getFileName().toString()));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return out;
  }

  @Override
  public void deleteGroup(String groupId) {
    throw new UnsupportedOperationException("the benchmark never deletes a group");
  }

  @Override
  public void close() {
    // each group's store is closed by its node
  }
}

package dev.raftflow.engine;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes a service's snapshot to the stream a node gives it (see {@code RaftNode.snapshot(long,
 * SnapshotWriter)}), so a state larger than the heap can be snapshotted: the bytes go to the
 * store's staging area (a file, for a store that keeps snapshots in files) as they are written.
 * Runs on the thread that asked for the snapshot; it must not close the stream. Throwing drops the
 * snapshot.
 */
@FunctionalInterface
public interface SnapshotWriter {

  /** Writes the whole snapshot to {@code out}. */
  void writeTo(OutputStream out) throws IOException;
}

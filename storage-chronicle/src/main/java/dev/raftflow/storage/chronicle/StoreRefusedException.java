package dev.raftflow.storage.chronicle;

import java.nio.file.Path;
import java.util.Objects;

/**
 * {@link ChronicleLogStore#open} or {@link ChronicleLogStore#load} refused a store directory. The
 * message names the directory, the file at fault, what is wrong with it and what the operator should
 * do next ({@link #recovery()}); docs/runbook.md lists every family. Refusing changes nothing on
 * disk: the same directory is refused again until the operator acts.
 */
public final class StoreRefusedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /** What the operator should do about a refused directory. */
  public enum Recovery {
    /** Acknowledged data is lost or cannot be trusted: the member must start over from its group. */
    WIPE_AND_REJOIN,
    /** The files are not this build's format: nothing is damaged. */
    OTHER_FORMAT,
    /** The files could not be created, opened or read: an environment problem, not damage. */
    FIX_ACCESS,
    /** Another store (in this or another process) holds the directory. */
    IN_USE,
    /**
     * One group's acknowledged data in a {@link ChronicleHostLogStore} is lost or cannot be
     * trusted: that group's member must start over; the host's other groups are not affected.
     */
    DELETE_GROUP_AND_REJOIN;

    String advice(Path dir) {
      return switch (this) {
        case WIPE_AND_REJOIN -> "do not start this member on these files. If it is still a member, remove it"
            + " (client --remove-member ID), then wipe " + dir + " (delete everything in it) and start the member again"
            + " with --join, and add it back (client --add-member ID=HOST:PORT --learner): it receives a snapshot from"
            + " the leader. Restoring an older copy of this directory is not safe (the member could vote twice in"
            + " a term)";
        case OTHER_FORMAT -> "move " + dir + " away and give this member an empty directory (wipe and rejoin with"
            + " --join), or run the release that wrote it";
        case FIX_ACCESS -> "check that " + dir + " and the file exist and are readable and writable by this user,"
            + " and that the disk is not full or failing; then start the member again on the same directory";
        case IN_USE -> "stop the other process using " + dir + ", or give this member its own --data-dir";
        case DELETE_GROUP_AND_REJOIN -> "do not start this group's member on these records. Remove the member from"
            + " its group, delete the group's data from the host store in " + dir + " (HostLogStore.deleteGroup), then"
            + " start the group's member again and add it back: it receives a snapshot from the leader. The host's"
            + " other groups are not affected";
      };
    }
  }

  private final Path directory;
  private final Path file;
  private final String problem;
  private final Recovery recovery;

  StoreRefusedException(Path directory, Path file, String problem, Recovery recovery, Throwable cause) {
    super("log store " + directory + ": " + file + ": " + problem + ". To recover: "
        + Objects.requireNonNull(recovery).advice(directory), cause);
    this.directory = directory;
    this.file = file;
    this.problem = problem;
    this.recovery = recovery;
  }

  StoreRefusedException(Path directory, Path file, String problem, Recovery recovery) {
    this(directory, file, problem, recovery, null);
  }

  /** The store directory refused. */
  public Path directory() {
    return directory;
  }

  /** The file (or directory) at fault. */
  public Path file() {
    return file;
  }

  /** What is wrong, without the advice. */
  public String problem() {
    return problem;
  }

  public Recovery recovery() {
    return recovery;
  }
}

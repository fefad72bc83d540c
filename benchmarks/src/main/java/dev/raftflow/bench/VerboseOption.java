package dev.raftflow.bench;

import picocli.CommandLine.Option;

/**
 * The {@code --verbose} flag of the load commands, as a picocli mixin: on a failure, the stack trace
 * too. The server's {@code node} and {@code client} commands declare their own (they also run
 * alone); {@link Main} looks for the flag on whichever command was given.
 */
final class VerboseOption {
  @Option(names = "--verbose", description = "On a failure, print the stack trace too (not only the one-line reason).")
  boolean verbose;
}

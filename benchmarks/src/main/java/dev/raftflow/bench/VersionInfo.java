package dev.raftflow.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * The version of this build, from the {@code pom.properties} Maven writes into every jar it builds
 * (the project's version is stated once, in the POM). Outside a jar (classes on an IDE's or a test's
 * class path) there is none, and the version reads {@value #UNPACKAGED}. Thread-safe: pure reads.
 */
final class VersionInfo implements IVersionProvider {

  /** Where Maven puts this module's coordinates inside its jar. */
  static final String POM_PROPERTIES = "META-INF/maven/dev.raftflow/raftflow-benchmarks/pom.properties";

  /** The version when the classes do not come from a Maven-built jar. */
  static final String UNPACKAGED = "unpackaged";

  /** Picocli creates one for {@code --version}. */
  VersionInfo() {}

  @Override
  public String[] getVersion() {
    return new String[] {"raftflow " + current(), "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
  }

  /** This build's version, read from this class's own class loader. */
  static String current() {
    return from(VersionInfo.class.getClassLoader());
  }

  /** The version recorded in {@link #POM_PROPERTIES} as {@code loader} sees it, or {@link #UNPACKAGED}. */
  static String from(ClassLoader loader) {
    try (InputStream in = loader.getResourceAsStream(POM_PROPERTIES)) {
      if (in == null) {
        return UNPACKAGED;
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "").trim();
      return v.isEmpty() ? UNPACKAGED : v;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + POM_PROPERTIES, e);
    }
  }
}

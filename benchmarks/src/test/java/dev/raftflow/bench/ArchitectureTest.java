package dev.raftflow.bench;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The project's architecture, checked on the compiled main classes of every module (this module
 * sees them all): no package cycles, module dependencies point one way (engine <- transport, storage
 * <- server <- benchmarks; client alone), and inside the engine the layers point one way too: the
 * vocabulary (root package) at the bottom, the core's leaf units below its dispatcher, the node on
 * top. A violation fails the build with the offending dependency.
 */
class ArchitectureTest {

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    // the modules' main classes, from target/classes or (in a reactor build past package) their jars;
    // never test classes or test-jars
    ImportOption mainOnly = location -> !location.contains("/test-classes/") && !location.contains("-tests.jar");
    classes = new ClassFileImporter().withImportOption(mainOnly).importPackages("dev.raftflow");
  }

  @Test
  void importedEveryModule() {
    for (String pkg : new String[] {"dev.raftflow.engine.core", "dev.raftflow.transport.rsocket",
        "dev.raftflow.storage.chronicle", "dev.raftflow.client", "dev.raftflow.server", "dev.raftflow.bench"}) {
      org.assertj.core.api.Assertions.assertThat(classes.stream().anyMatch(c -> c.getPackageName().equals(pkg)))
          .as("classes of %s imported", pkg).isTrue();
    }
  }

  @Test
  void noPackageDependsOnItselfThroughOthers() {
    slices().matching("dev.raftflow.(**)").should().beFreeOfCycles().check(classes);
  }

  @Test
  void modulesDependOneWay() {
    noClasses().that().resideInAPackage("dev.raftflow.engine..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.raftflow.transport..", "dev.raftflow.storage..",
            "dev.raftflow.client..", "dev.raftflow.server..", "dev.raftflow.bench..")
        .check(classes);
    noClasses().that().resideInAPackage("dev.raftflow.transport..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.raftflow.storage..", "dev.raftflow.client..",
            "dev.raftflow.server..", "dev.raftflow.bench..")
        .check(classes);
    noClasses().that().resideInAPackage("dev.raftflow.storage..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.raftflow.transport..", "dev.raftflow.client..",
            "dev.raftflow.server..", "dev.raftflow.bench..")
        .check(classes);
    noClasses().that().resideInAPackage("dev.raftflow.client..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.raftflow.engine..", "dev.raftflow.transport..",
            "dev.raftflow.storage..", "dev.raftflow.server..", "dev.raftflow.bench..")
        .check(classes);
    noClasses().that().resideInAPackage("dev.raftflow.server..")
        .should().dependOnClassesThat().resideInAPackage("dev.raftflow.bench..")
        .check(classes);
  }

  @Test
  void theEngineKnowsNoNetworkOrDiskLibrary() {
    noClasses().that().resideInAPackage("dev.raftflow.engine..")
        .should().dependOnClassesThat().resideInAnyPackage("io.rsocket..", "io.netty..", "net.openhft..",
            "picocli..", "org.openjdk.jmh..")
        .check(classes);
  }

  @Test
  void insideTheEngineLayersPointDown() {
    noClasses().that().resideInAPackage("dev.raftflow.engine")
        .should().dependOnClassesThat().resideInAnyPackage("dev.raftflow.engine.core..", "dev.raftflow.engine.node..",
            "dev.raftflow.engine.memory..", "dev.raftflow.engine.codec..", "dev.raftflow.engine.spi..",
            "dev.raftflow.engine.message..")
        .because("the root package is the vocabulary every layer shares")
        .check(classes);
    noClasses().that().resideInAnyPackage("dev.raftflow.engine.message..", "dev.raftflow.engine.spi..",
            "dev.raftflow.engine.codec..", "dev.raftflow.engine.memory..", "dev.raftflow.engine.core..")
        .should().dependOnClassesThat().resideInAPackage("dev.raftflow.engine.node..")
        .because("the node drives the core, never the other way")
        .check(classes);
    noClasses().that().resideInAPackage("dev.raftflow.engine.core..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.raftflow.engine.memory..", "dev.raftflow.engine.codec..")
        .because("the core is pure: no storage, no wire format")
        .check(classes);
    noClasses().that().resideInAnyPackage("dev.raftflow.engine.core.quorum..", "dev.raftflow.engine.core.tracker..")
        .should().dependOnClassesThat().resideInAPackage("dev.raftflow.engine.core")
        .because("the core's leaf units never call back into its dispatcher")
        .check(classes);
    noClasses().that().resideInAPackage("dev.raftflow.engine.core.quorum..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.raftflow.engine", "dev.raftflow.engine.message..",
            "dev.raftflow.engine.spi..", "dev.raftflow.engine.core.tracker..")
        .because("quorum arithmetic is pure")
        .check(classes);
  }
}

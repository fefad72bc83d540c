package dev.raftflow.engine.lab;

import java.lang.reflect.Method;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * JUnit 5 extension giving each lab scenario its seed, and putting the seed into any failure so the
 * run replays exactly.
 *
 * <p>The seed of a test is derived from a fixed base and the test method's name, plus the offset
 * {@code -Draftflow.lab.seedOffset=N} (default 0). Running all 28 scenarios over 20 seeds:
 *
 * <pre>for o in $(seq 0 19); do mvn -o -q -pl engine test -Dtest='Lab2*Test' -Draftflow.lab.seedOffset=$o; done</pre>
 *
 * A failure's message ends with {@code seed=N}; {@code -Draftflow.seed=N} (with {@code
 * -Dtest=Class#Method}) replays exactly that run, whatever the offset.
 */
public final class LabSeed implements BeforeEachCallback, TestExecutionExceptionHandler {

  /** System property: the exact seed to use (replay). */
  public static final String SEED_PROPERTY = "raftflow.seed";
  /** System property: added to every derived seed, to run the suite over other seeds. */
  public static final String OFFSET_PROPERTY = "raftflow.lab.seedOffset";

  static final long BASE = 0x6_5840_2023L;

  private long seed;
  private String testName = "unknown";
  private String replay = "";
  private LabCluster cluster;

  /** The seed the current test runs with. */
  public long seed() {
    return seed;
  }

  /** "Class.method" of the current test. */
  public String testName() {
    return testName;
  }

  void attach(LabCluster cluster) {
    this.cluster = cluster;
  }

  /** The seed derived for a test method, before any offset. */
  public static long derive(String methodName) {
    long z = BASE ^ (methodName.hashCode() * 0x9E3779B97F4A7C15L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return (z ^ (z >>> 31)) & Long.MAX_VALUE;
  }

  @Override
  public void beforeEach(ExtensionContext ctx) {
    Method m = ctx.getRequiredTestMethod();
    String cls = ctx.getRequiredTestClass().getSimpleName();
    testName = cls + "." + m.getName();
    String fixed = System.getProperty(SEED_PROPERTY, "").trim();
    if (!fixed.isEmpty()) {
      seed = Long.parseLong(fixed);
    } else {
      String off = System.getProperty(OFFSET_PROPERTY, "").trim();
      seed = derive(m.getName()) + (off.isEmpty() ? 0 : Long.parseLong(off));
    }
    replay = "-Dtest=" + cls + "#" + m.getName() + " -D" + SEED_PROPERTY + "=" + seed;
  }

  @Override
  public void handleTestExecutionException(ExtensionContext ctx, Throwable t) throws Throwable {
    double virtual = cluster == null ? 0 : cluster.virtualSeconds();
    String info = "seed=" + seed + ", replay with " + replay;
    System.err.println(testName + " FAILED [" + info + "]: " + t);
    LabResults.failed(testName, seed, virtual, t.getMessage());
    throw new AssertionError(t.getMessage() + " [" + info + "]", t);
  }
}

/**
 * The MIT 6.5840 Raft lab tester on the simulation kit: the harness ({@link
 * dev.raftflow.engine.lab.LabCluster}, the lab's config.go) and its 28 scenarios in {@code
 * Lab2ATest} .. {@code Lab2DTest}, named as the lab's 2023 tests.
 *
 * <p>Run: {@code mvn -o -q -pl engine test -Dtest='Lab2*Test'}. Each scenario prints the lab's
 * "Passed" line (virtual seconds, peers, RPCs, bytes, agreements) and appends it to {@code
 * target/lab-results.txt}. Seeds: see {@link dev.raftflow.engine.lab.LabSeed}; over 20 seeds:
 * {@code for o in $(seq 0 19); do mvn -o -q -pl engine test -Dtest='Lab2*Test'
 * -Draftflow.lab.seedOffset=$o; done}; replay one failure with {@code -Dtest=Class#Method
 * -Draftflow.seed=N}.
 *
 * <p>Another store runs the persistence and snapshot scenarios by extending {@code Lab2CTest} /
 * {@code Lab2DTest} and overriding {@link dev.raftflow.engine.lab.LabTestBase#persisters()} with a
 * {@link dev.raftflow.engine.lab.PersisterFactory} of its {@link dev.raftflow.engine.lab.StoreHandle}s.
 */
package dev.raftflow.engine.lab;

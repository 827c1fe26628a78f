package org.cowstack.storage.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.junit.Test;
import org.junit.runner.JUnitCore;
import org.junit.runner.Result;
import org.junit.runner.notification.Failure;

/**
 * Written in one framework, read in the next, as one test: {@link PersistenceWriter}
 * runs in a framework of its own (Pax Exam starts it for that class and stops it when
 * the class is done), then {@link PersistenceReader} in a new one, sharing only the
 * image file and the writer's note of what its volume reported. The order is this
 * method's, not JUnit's method order, and nothing from an earlier run is left to find.
 */
public class PersistenceIT {
    @Test
    public void whatOneFrameworkWroteAndUnmountedReadsTheSameInTheNext() throws Exception {
        PersistenceScenario.reset();
        run(PersistenceWriter.class);
        assertTrue("the writer made the image", PersistenceScenario.imageFile().isFile());
        assertTrue("the writer left its note", PersistenceScenario.noteFile().isFile());
        run(PersistenceReader.class);
    }

    /** Runs one side in its own framework; its first failure is this test's. */
    private static void run(Class<?> side) {
        Result result = new JUnitCore().run(side);
        if (!result.wasSuccessful()) {
            List<Failure> failures = result.getFailures();
            AssertionError failed = new AssertionError(side.getSimpleName() + ": " + failures.get(0).getMessage(),
                    failures.get(0).getException());
            failures.subList(1, failures.size()).forEach(f -> failed.addSuppressed(f.getException()));
            throw failed;
        }
        assertEquals(side.getSimpleName() + " ran its one test", 1, result.getRunCount());
        assertEquals(side.getSimpleName() + " skipped nothing", 0,
                result.getIgnoreCount() + result.getAssumptionFailureCount());
    }
}

package io.fli.faults;

import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A source of faults, after Jepsen's nemesis contract. {@link #setup()} once before the run, then {@link #invoke}
 * any of {@link #faults()} any number of times (each call does one fault and returns what was done, which the
 * harness records as the value of a nemesis operation whose {@code f} is the fault's name), then
 * {@link #teardown()} once, which must leave every component it touched healthy again.
 */
public interface Nemesis {
    /** The names of the faults this nemesis offers, as recorded in histories (e.g. {@code kill}, {@code crash}). */
    List<String> faults();

    default void setup() {
    }

    /**
     * Performs one fault.
     *
     * @param fault one of {@link #faults()}
     * @param random the run's seeded random source, for choosing targets
     * @return what was done, e.g. {@code {"target":"meta","signal":"KILL"}}
     */
    Map<String, Object> invoke(String fault, Random random);

    /** Heals everything (resumes, restarts) so the run can end with a final consistent read. */
    default void teardown() {
    }

    /** A nemesis that offers nothing: the control run. */
    static Nemesis none() {
        return new Nemesis() {
            @Override
            public List<String> faults() {
                return List.of();
            }

            @Override
            public Map<String, Object> invoke(String fault, Random random) {
                throw new IllegalArgumentException("the 'none' nemesis offers no faults");
            }
        };
    }
}

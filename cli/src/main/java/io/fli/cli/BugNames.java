package io.fli.cli;

import io.fli.workloads.Bugs;
import java.util.Iterator;

/** The bug zoo's variant names, for help texts and completion. */
final class BugNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
        return Bugs.ZOO.stream().map(Bugs.Bug::name).iterator();
    }
}

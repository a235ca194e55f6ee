/**
 * Workloads and the runner behind {@code fli test}.
 *
 * <h2>Concepts</h2>
 * <ul>
 *   <li><b>Chain</b> — {@link io.fli.workloads.ChainGenerator} derives every block from {@code (seed, number)} alone,
 *       so any writer, any replay and any checker can regenerate block {@code n} without having seen the blocks
 *       before it; {@code forked(n)} is a different block at the same number (a finality violation).</li>
 *   <li><b>Run</b> — one recorded, checked test ({@link io.fli.workloads.TestRun}): clients, a nemesis and index
 *       processes, a format-v1 history, final reads once every fault healed, the checker's verdict, a run folder.</li>
 *   <li><b>Index process (node)</b> — a {@code LogIndex} with its writer objects, lease view, caches and merge work.
 *       Every run has two. On the memory backend they live in the harness's JVM as fibers of one deterministic
 *       simulation ({@code Sim}); on real servers each is a JVM of its own ({@code NodeServer}), called over loopback
 *       ({@code RemoteNode}).</li>
 *   <li><b>Simulation</b> — on the memory backend exactly one fiber (client, nemesis, merge worker) runs at a time and
 *       control passes at store calls and recorded operations to a fiber the seed chooses, on a logical clock: the
 *       same seed gives the same history byte for byte.</li>
 *   <li><b>Bug zoo</b> — {@link io.fli.workloads.Bugs} lists the deliberately broken variants (module {@code zoo})
 *       with the invariant each breaks and the workload and faults that expose it.</li>
 * </ul>
 */
package io.fli.workloads;

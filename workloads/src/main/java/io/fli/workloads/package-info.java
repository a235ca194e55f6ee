/**
 * Workloads: seeded, reproducible inputs for the index and its harness. {@link io.fli.workloads.ChainGenerator}
 * derives every block from {@code (seed, number)} alone, so any writer, any replay and any checker can regenerate
 * block {@code n} without having seen the blocks before it.
 */
package io.fli.workloads;

/**
 * The bug zoo: deliberately broken variants of the engine and its stores, for proving that the harness catches
 * the bugs it claims to. Only the test harness (module {@code workloads}) links this module; the engine itself has no
 * public switch that turns a bug on. Engine variants replace one package-private seam of the correct engine
 * ({@code io.fli.engine.internal.BrokenEngines}); store variants wrap or replace a store.
 */
package io.fli.zoo;

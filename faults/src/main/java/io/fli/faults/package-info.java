/**
 * Faults behind one interface, {@link io.fli.faults.Nemesis}: setup, invoke one of the faults it offers, teardown.
 * Crash points ({@link io.fli.faults.CrashPoints}) crash a writer at a write or CAS boundary; process faults
 * ({@link io.fli.faults.ProcessNemesis}) kill, pause and restart the backend servers by PID. Network faults (a
 * Toxiproxy-API nemesis) plug into the same interface.
 */
package io.fli.faults;

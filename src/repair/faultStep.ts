// Test-only crash hook for the fault-injection suite: NOVA_DOCTOR_FAULT_STEP=N makes the process SIGKILL itself
// at the Nth step boundary (before an SQL statement or COMMIT of a change set, or around a journal record).
// Off unless the variable is set; a SIGKILL, unlike a thrown InjectedFault, runs no finally blocks, no
// ROLLBACK and no buffered write: it is what `kill -9` or the OOM killer does.
let seen = 0;
let reportArmed = false;

function target(): number | null {
  const v = process.env.NOVA_DOCTOR_FAULT_STEP;
  if (!v) return null;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** Count one step boundary; die here if it is the one NOVA_DOCTOR_FAULT_STEP names. */
export function faultStep(): void {
  const n = target();
  if (n === null) return;
  if (!reportArmed) {
    reportArmed = true;
    // A run that never reached its step says how many it saw, so a test can size its sweep.
    process.on('exit', () => process.stderr.write(`nova-doctor: fault steps seen: ${seen}\n`));
  }
  if (++seen === n) process.kill(process.pid, 'SIGKILL');
}

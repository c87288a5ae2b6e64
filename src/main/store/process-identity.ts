/**
 * Who a process is, beyond its pid: pids are reused, so a lock or a run row naming only a pid may
 * point at an unrelated program after a crash or a reboot. On Linux a process is identified by the
 * boot id plus its start time in clock ticks since boot (/proc/<pid>/stat, field 22); two processes
 * never share both. Elsewhere the identity is null and only the pid is checked.
 */
import fs from 'node:fs';

function bootId(): string | null {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces and ')', so parse after the last ')'. */
function startTicks(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state), so field 22 is rest[19].
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

/** "<boot id>:<start ticks>" of a live process, or null when the platform cannot tell. */
export function processIdentity(pid: number = process.pid): string | null {
  const boot = bootId();
  const start = startTicks(pid);
  return boot && start ? `${boot}:${start}` : null;
}

/** process.kill(pid, 0) sends nothing; it only asks whether the process exists. */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type OwnerState = 'alive' | 'dead' | 'pid-reused';

/**
 * Is the process that recorded (pid, identity) on this host still running? 'pid-reused' when a
 * process with that pid exists but started at another time or boot: the recorded owner is gone.
 */
export function ownerState(pid: number | null, identity: string | null): OwnerState {
  if (pid === null || !isProcessAlive(pid)) return 'dead';
  if (!identity) return 'alive';
  const now = processIdentity(pid);
  if (now === null) return 'alive';
  return now === identity ? 'alive' : 'pid-reused';
}

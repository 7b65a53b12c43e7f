import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

// Clock ticks per second of /proc/PID/stat's times; 100 on every common Linux build.
let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const text = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim();
    ticksPerSecond = Number(text) > 0 ? Number(text) : 100;
  }
  return ticksPerSecond;
}

/** CPU time a process has used, in milliseconds, in user space and in the kernel. */
export interface CpuTime {
  userMs: number;
  systemMs: number;
}

/**
 * CPU time (all threads) a process has used so far, from /proc/PID/stat (fields 14 and 15,
 * utime and stime, in clock ticks; see proc(5)). Unlike a profile, this does not count the
 * time the process waited for a CPU on a busy machine.
 */
export async function processCpu(pid: number): Promise<CpuTime> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: split after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const msPerTick = 1000 / clockTicks();
  return { userMs: Number(fields[11]) * msPerTick, systemMs: Number(fields[12]) * msPerTick };
}

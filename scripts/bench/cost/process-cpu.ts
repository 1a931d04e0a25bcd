import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/*
 * CPU time of other processes (the embedded servers, the workers), read from Linux's /proc, so the
 * throughput figure can say which process a round kept busy. Elsewhere every reading is undefined and
 * the figure prints n/a.
 */

/**
 * User plus system CPU of a process in clock ticks, from the text of `/proc/<pid>/stat`. The second field
 * (the command name, in parentheses) may itself hold spaces and parentheses, so fields are counted from
 * its last closing parenthesis: utime and stime are fields 14 and 15.
 */
export function cpuTicksOfStat(stat: string): number | undefined {
  const afterName = stat
    .slice(stat.lastIndexOf(')') + 1)
    .trim()
    .split(/\s+/);
  // afterName[0] is field 3 (the state), so field n is afterName[n - 3].
  const utime = Number(afterName[14 - 3]);
  const stime = Number(afterName[15 - 3]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : undefined;
}

let ticksPerSecond: number | undefined;

function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // USER_HZ on every Linux architecture Node runs on
    }
  }
  return ticksPerSecond;
}

/** CPU seconds the process has used so far, or undefined (no /proc, or the process is gone). */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const ticks = cpuTicksOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return ticks === undefined ? undefined : ticks / clockTicksPerSecond();
  } catch {
    return undefined;
  }
}

/** CPU seconds of a group of processes, summed; undefined when any of them cannot be read. */
export function groupCpuSeconds(pids: readonly (number | undefined)[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const seconds = processCpuSeconds(pid);
    if (seconds === undefined) return undefined;
    total += seconds;
  }
  return total;
}

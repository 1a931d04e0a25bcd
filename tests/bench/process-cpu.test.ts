import { cpuTicksOfStat, groupCpuSeconds, processCpuSeconds } from '../../scripts/bench/cost/process-cpu';

describe('cpuTicksOfStat', () => {
  it('adds utime and stime (fields 14 and 15)', () => {
    const stat = '3204 (node) R 3201 3201 1157 0 -1 4194304 123 0 0 0 250 37 0 0 20 0 1 0 43077 3133440 382';
    expect(cpuTicksOfStat(stat)).toBe(287);
  });

  it('counts fields from the last parenthesis, whatever the command name holds', () => {
    const stat = '77 (a) b (c d) S 1 77 77 0 -1 4194560 10 0 0 0 5 6 0 0 20 0 1 0 1 1 1';
    expect(cpuTicksOfStat(stat)).toBe(11);
  });

  it('is undefined for a line without the fields', () => {
    expect(cpuTicksOfStat('12 (short) S 1 2')).toBeUndefined();
  });
});

describe('processCpuSeconds', () => {
  // Linux's /proc, as on the machines the bench and CI run on.
  it('reads this process, and grows with the CPU it used', () => {
    const before = processCpuSeconds(process.pid);
    // Spin until Node's own account says 200 ms of CPU were used (however long a loaded machine takes).
    const start = process.cpuUsage();
    let spin = 0;
    while ((process.cpuUsage(start).user + process.cpuUsage(start).system) / 1e6 < 0.2) {
      spin += Math.sqrt(spin + 1);
    }
    const after = processCpuSeconds(process.pid);
    expect(spin).toBeGreaterThan(0);
    expect(before).toBeGreaterThan(0);
    // /proc counts in clock ticks (10 ms): within a tick or two of Node's 200 ms.
    expect((after ?? 0) - (before ?? 0)).toBeGreaterThanOrEqual(0.17);
  });

  it('is undefined for a process that does not exist, and so is a group holding one', () => {
    expect(processCpuSeconds(2 ** 30)).toBeUndefined();
    expect(processCpuSeconds(undefined)).toBeUndefined();
    expect(groupCpuSeconds([process.pid, 2 ** 30])).toBeUndefined();
  });
});

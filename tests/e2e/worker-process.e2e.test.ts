import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServers, type TestServers } from './local-stack-support';

jest.setTimeout(60_000);

const FANOUT_NODES = ['Task_A', 'Fan_Out', 'Task_B1', 'Task_B2', 'Task_B3', 'Task_C', 'Done'];

/**
 * The orchestrator as its own process (`pnpm worker`) against servers in another one
 * (`pnpm local --no-workers`): killing the worker with SIGKILL mid-instance loses nothing.
 */
describe('scripts/worker.ts as a child process', () => {
  let t: TestServers | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs the fan-out, survives SIGKILL mid-instance (a new worker finishes it), exits 0 on SIGTERM', async () => {
    // Messages a killed worker held come back after 3 s instead of 30.
    t = await startTestServers({ queueSettings: { visibilityTimeoutSeconds: 3 } });
    dir = mkdtempSync(join(tmpdir(), 'cch-worker-e2e-'));
    const mocks = join(dir, 'mocks.yaml');
    // The branches take 2 s to reply, so there is a "middle" of the instance to kill the worker in.
    writeFileSync(
      mocks,
      ['classify#goods', 'duty#valuation', 'licence#check'].map((id) => `'${id}': { delay: 2s }`).join('\n'),
    );
    const env = {
      CCH_LEASE_TTL_SECONDS: '2',
      CCH_BUSY_RETRY_SECONDS: '1',
      CCH_NOT_READY_RETRY_SECONDS: '1',
      CCH_MOCK_SCENARIOS: mocks,
    };
    const servers = t;
    await servers.upload('fanout_a_b_c_v1');

    const first = await servers.spawnWorker(env);
    await servers.start('fanout_a_b_c_v1', 'worker-1');
    const done = await servers.waitFor('worker-1', servers.ended);
    expect(done.status).toBe('SUCCEEDED');
    for (const node of FANOUT_NODES) {
      expect([node, done.history.filter((h) => h.node === node).length]).toEqual([node, 1]);
    }

    await servers.start('fanout_a_b_c_v1', 'worker-2');
    // Task_A applied, the three branch requests out, their replies not yet back: the middle.
    const middle = await servers.waitFor('worker-2', (r) => r.history.some((h) => h.node === 'Task_A'));
    expect(middle.status).not.toBe('SUCCEEDED');
    expect(await first.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const second = await servers.spawnWorker(env);
    const record = await servers.waitFor('worker-2', servers.ended, 40_000);
    expect(record.status).toBe('SUCCEEDED');
    for (const node of FANOUT_NODES) {
      expect([node, record.history.filter((h) => h.node === node).length]).toEqual([node, 1]);
    }

    expect(await second.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});

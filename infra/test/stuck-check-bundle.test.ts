import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLambdaBundle } from '../src/bundling/lambda-bundle';
import { STUCK_CHECK_ENTRY } from '../src/stuck-check-function';

/** Far above today's bundle (about 0.8 MB): a jump past it means something heavy slipped in. */
const MAX_BUNDLE_BYTES = 5 * 1024 * 1024;

describe('stuck check bundle', () => {
  it('bundles orchestrator/src/stuck-check-handler.ts as the stack does, and the bundle loads on plain Node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stuck-check-bundle-'));
    try {
      const file = join(dir, 'index.js');
      const result = await buildLambdaBundle({ entry: STUCK_CHECK_ENTRY }, file);
      expect(result.errors).toEqual([]);
      const bytes = statSync(file).size;
      expect(bytes).toBeGreaterThan(0);
      expect(bytes).toBeLessThan(MAX_BUNDLE_BYTES);

      const loaded = spawnSync(
        process.execPath,
        ['-e', "process.stdout.write(typeof require('./index.js').handler)"],
        { cwd: dir, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' },
      );
      expect({ stdout: loaded.stdout, stderr: loaded.stderr }).toEqual({ stdout: 'function', stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

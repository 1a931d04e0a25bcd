import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLambdaBundle } from '../src/bundling/lambda-bundle';
import { RETENTION_ENTRY } from '../src/retention-function';
import { STUCK_CHECK_ENTRY } from '../src/stuck-check-function';

// esbuild and a fresh node per bundle: seconds alone, more on a 2-core machine running other suites.
jest.setTimeout(60_000);

/*
 * The stack's Lambdas other than the orchestrator (whose bundle has a test of its own): each bundled as
 * the stack does, and loaded on plain Node. The limits sit far above today's bundles: a jump past one
 * means something heavy slipped into that path.
 */
describe.each([
  ['retention', RETENTION_ENTRY, 10 * 1024 * 1024],
  ['stuck check', STUCK_CHECK_ENTRY, 5 * 1024 * 1024],
])('%s bundle', (name, entry, maxBytes) => {
  it(`bundles ${entry} as the stack does, and the bundle loads on plain Node`, async () => {
    const dir = mkdtempSync(join(tmpdir(), `${name.replace(' ', '-')}-bundle-`));
    try {
      const file = join(dir, 'index.js');
      const result = await buildLambdaBundle({ entry }, file);
      expect(result.errors).toEqual([]);
      const bytes = statSync(file).size;
      expect(bytes).toBeGreaterThan(0);
      expect(bytes).toBeLessThan(maxBytes);

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

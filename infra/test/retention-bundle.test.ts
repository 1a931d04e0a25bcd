import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLING } from '../src/node-lambda';
import { RETENTION_ENTRY } from '../src/retention-function';

/** Far above today's bundle; a jump past it means something heavy slipped into the purge path. */
const MAX_BUNDLE_BYTES = 10 * 1024 * 1024;

describe('retention bundle', () => {
  it('bundles orchestrator/src/retention-handler.ts as the stack does, and the bundle loads on plain Node', async () => {
    const result = await build({
      entryPoints: [RETENTION_ENTRY],
      bundle: true,
      platform: 'node',
      target: BUNDLING.target,
      format: 'cjs',
      minify: BUNDLING.minify,
      external: [...BUNDLING.externalModules],
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const bytes = result.outputFiles.reduce((total, file) => total + file.contents.byteLength, 0);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(MAX_BUNDLE_BYTES);

    const dir = mkdtempSync(join(tmpdir(), 'retention-bundle-'));
    try {
      writeFileSync(join(dir, 'index.js'), result.outputFiles[0]!.contents);
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

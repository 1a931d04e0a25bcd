import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLING } from '../src/node-lambda';
import { lambdaEntries } from '../src/paths';

/** Far above today's bundle; a jump past it means something heavy (or the AWS SDK twice) slipped in. */
const MAX_BUNDLE_BYTES = 10 * 1024 * 1024;

describe('orchestrator bundle', () => {
  it('bundles orchestrator/src/handler.ts as the stack does, to a sane size', async () => {
    if (!existsSync(lambdaEntries.orchestrator)) {
      throw new Error(
        `The orchestrator Lambda entry ${lambdaEntries.orchestrator} does not exist: it must export ` +
          '`handler` (SQS event -> { batchItemFailures }); the CDK stack bundles it.',
      );
    }
    const result = await build({
      entryPoints: [lambdaEntries.orchestrator],
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
    console.log(`orchestrator bundle (minified, cjs, ${BUNDLING.target}): ${(bytes / 1024).toFixed(1)} KiB`);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(MAX_BUNDLE_BYTES);

    // The bundle loads on plain Node (no workspace node_modules beside it) and exports `handler`.
    const dir = mkdtempSync(join(tmpdir(), 'orchestrator-bundle-'));
    try {
      writeFileSync(join(dir, 'index.js'), result.outputFiles[0]!.contents);
      const loaded = spawnSync(
        process.execPath,
        ['-e', "process.stdout.write(typeof require('./index.js').handler)"],
        {
          cwd: dir,
          env: { PATH: process.env.PATH ?? '' },
          encoding: 'utf8',
        },
      );
      expect({ stdout: loaded.stdout, stderr: loaded.stderr }).toEqual({ stdout: 'function', stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AssetHashType, type ILocalBundling } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { repoRoot } from '../paths';

/** tsx's command line (infra's own dependency): runs the TypeScript bundling script in a child process. */
const TSX_CLI = require.resolve('tsx/cli');
const BUNDLE_CLI = join(__dirname, 'bundle-lambda-cli.ts');

/**
 * Bundles a Lambda entry into the asset's output directory as `index.js` (+ `index.js.map`) with
 * `buildLambdaBundle`, in a child node process: CDK's local bundling is synchronous, esbuild's plugins are
 * not. It never declines (that would send CDK to Docker, which this project does not use): a failed build
 * throws with esbuild's messages.
 */
export class LocalLambdaBundling implements ILocalBundling {
  constructor(private readonly entry: string) {}

  tryBundle(outputDir: string): boolean {
    const result = spawnSync(
      process.execPath,
      [TSX_CLI, BUNDLE_CLI, this.entry, join(outputDir, 'index.js')],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    if (result.error) throw result.error;
    if (result.stderr) process.stderr.write(result.stderr);
    if (result.status !== 0) {
      throw new Error(
        `Bundling ${this.entry} failed (exit ${result.status ?? result.signal}):\n${result.stderr}`,
      );
    }
    return true;
  }
}

/**
 * The code asset of a Lambda whose TypeScript `entry` exports `handler` (handler `index.handler`). Its hash
 * is the bundle's: a change anywhere that alters the bundle redeploys, nothing else does. When the app skips
 * bundling (`aws:cdk:bundling-stacks: []`, as the Template tests do), nothing is built.
 */
export function lambdaCode(entry: string): lambda.Code {
  if (!existsSync(entry)) throw new Error(`Lambda entry ${entry} does not exist`);
  return lambda.Code.fromAsset(repoRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by CDK, used only if local bundling declines, which LocalLambdaBundling never does.
      image: lambda.Runtime.NODEJS_22_X.bundlingImage,
      local: new LocalLambdaBundling(entry),
    },
  });
}

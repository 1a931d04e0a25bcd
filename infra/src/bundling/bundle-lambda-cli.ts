/**
 * `tsx bundle-lambda-cli.ts <entry.ts> <outfile.js>`: bundles one Lambda with `buildLambdaBundle`.
 *
 * Run in a child process by LocalLambdaBundling: CDK asks for local bundling synchronously, and esbuild
 * runs plugins only in its asynchronous API. Exits 1 with esbuild's errors on stderr when the build fails.
 */
import { formatMessages } from 'esbuild';
import { buildLambdaBundle } from './lambda-bundle';

async function main(args: readonly string[]): Promise<number> {
  const [entry, outfile] = args;
  if (!entry || !outfile || args.length !== 2) {
    process.stderr.write('usage: bundle-lambda-cli.ts <entry.ts> <outfile.js>\n');
    return 2;
  }
  try {
    const result = await buildLambdaBundle({ entry }, outfile);
    for (const line of await formatMessages(result.warnings, { kind: 'warning' })) process.stderr.write(line);
    return 0;
  } catch (error) {
    const errors = (error as { errors?: Parameters<typeof formatMessages>[0] }).errors;
    if (errors && errors.length > 0) {
      for (const line of await formatMessages(errors, { kind: 'error' })) process.stderr.write(line);
    } else {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exitCode = 1;
  },
);

import { operatorTarget } from '../../orchestrator/src/cli/operator-target';
import { applyCliEnvironment } from '../../scripts/cli-environment';
import { CONSOLE_HELP, parseConsoleOptions } from './console-options';
import { startConsoleServer } from './console-server';

if (require.main === module) {
  applyCliEnvironment();
  try {
    const options = parseConsoleOptions(process.argv.slice(2), process.env);
    if (options.help) {
      process.stdout.write(CONSOLE_HELP);
      process.exit(0);
    }
    const target = operatorTarget(options.local, process.env);
    startConsoleServer(target, options.port).then(
      (server) => {
        const where = `${target.stage.env}/${target.stage.owner}`;
        process.stdout.write(`console for ${where} at ${server.url} (Ctrl-C stops it)\n`);
      },
      (error: unknown) => {
        process.stderr.write(`console: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      },
    );
  } catch (error) {
    process.stderr.write(`console: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}

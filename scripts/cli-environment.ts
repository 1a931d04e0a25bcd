/**
 * What every command-line entry point (`pnpm start`, `local`, `worker`, `wf`, `run-test`) sets before it
 * creates an AWS client.
 *
 * The AWS SDK prints a NodeVersionSupportWarning on stderr in every process under Node 20 (its releases
 * after January 2027 need Node 22). The project supports Node 20.19 or later, so on such a machine the
 * notice would open the output of every command and make "nothing on stderr" meaningless. A value the user
 * set (`AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=false` shows it) is kept. The Lambdas run on a
 * runtime of their own and never read this.
 */
export function applyCliEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

import { cancelCommand } from '../../orchestrator/src/cli/cancel-command';
import type { OperatorTarget } from '../../orchestrator/src/cli/operator-target';
import { redriveCommand } from '../../orchestrator/src/cli/redrive-command';
import { recordingIo } from '../../orchestrator/src/cli/cli-io';
import type { ActionNotice } from './instance-page';

export type InstanceAction = 'cancel' | 'redrive';

/**
 * Cancel and Redrive run `wf cancel` / `wf redrive` themselves (without --wait), so the console sends
 * exactly the commands the CLI sends, after exactly its checks (known instance, live or FAILED, a first
 * step taken). What the command printed becomes the page's notice.
 */
export async function runInstanceAction(
  action: InstanceAction,
  instanceId: string,
  reason: string,
  target: OperatorTarget,
): Promise<ActionNotice> {
  const io = recordingIo(process.cwd());
  const args = [instanceId, ...(reason === '' ? [] : ['--reason', reason])];
  const command = action === 'cancel' ? cancelCommand : redriveCommand;
  try {
    const code = await command(args, io, () => target);
    return { ok: code === 0, text: (code === 0 ? io.stdout() : io.stderr() || io.stdout()).trim() };
  } catch (error) {
    return { ok: false, text: `${action} failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

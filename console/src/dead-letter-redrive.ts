import { dlqCommand } from '../../orchestrator/src/cli/dlq-command';
import type { OperatorTarget } from '../../orchestrator/src/cli/operator-target';
import { recordingIo } from '../../orchestrator/src/cli/cli-io';
import type { ActionNotice } from './instance-page';

/** A message chosen on the dead letters page: the queue label `wf dlq` takes, and its id in the DLQ. */
export interface ChosenDeadLetter {
  readonly queue: string;
  readonly messageId: string;
}

/**
 * Redrives the chosen messages by running `wf dlq redrive --queue Q --message-id ...` once per queue, so
 * the console moves them exactly as the CLI does (reason and deferral counters stripped, then deleted).
 */
export async function redriveDeadLetters(
  chosen: readonly ChosenDeadLetter[],
  target: OperatorTarget,
): Promise<ActionNotice> {
  if (chosen.length === 0) return { ok: false, text: 'no message chosen: nothing sent' };
  const byQueue = new Map<string, string[]>();
  for (const { queue, messageId } of chosen) byQueue.set(queue, [...(byQueue.get(queue) ?? []), messageId]);
  const lines: string[] = [];
  let ok = true;
  for (const [queue, ids] of byQueue) {
    const io = recordingIo(process.cwd());
    try {
      const code = await dlqCommand(
        ['redrive', '--queue', queue, ...ids.flatMap((id) => ['--message-id', id])],
        io,
        () => ({ stage: target.stage, sqs: target.clients.sqs, s3: target.clients.s3 }),
      );
      ok &&= code === 0;
      lines.push(io.stdout().trim(), io.stderr().trim());
    } catch (error) {
      ok = false;
      lines.push(`redrive from ${queue} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { ok, text: lines.filter(Boolean).join('\n') };
}

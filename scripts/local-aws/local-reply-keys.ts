import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateReplyKeys, parseReplyKeys } from '../../orchestrator/src/aws/reply-keys';
import type { ReplyKeys } from '../../orchestrator/src/graph/request-ids';
import { resourceNames, type Stage } from '../../orchestrator/src/naming/resource-names';

/**
 * The local stack's reply keys (what Secrets Manager holds on AWS, see infra/src/reply-keys-secret.ts):
 * generated once per stage at provision time into `.local-aws/<prefix>reply-keys.json` (owner-only, never
 * committed), and read from there by every process of the stage (the stack, `pnpm worker`), so they all
 * issue and verify the same ids. `CCH_REPLY_KEYS` (the same JSON) overrides the file; rotating locally is
 * editing it (`{"current": new, "previous": old}`) and restarting the workers.
 */
export function localReplyKeysFile(stage: Stage): string {
  return join(__dirname, '..', '..', '.local-aws', `${resourceNames(stage).prefix}reply-keys.json`);
}

/** The stage's keys: `CCH_REPLY_KEYS`, else the key file, created with fresh keys when there is none. */
export function localReplyKeys(stage: Stage, env: NodeJS.ProcessEnv = process.env): ReplyKeys {
  if (env.CCH_REPLY_KEYS) return parseReplyKeys(env.CCH_REPLY_KEYS, 'CCH_REPLY_KEYS');
  const file = localReplyKeysFile(stage);
  if (!existsSync(file)) createKeyFile(file);
  return parseReplyKeys(readFileSync(file, 'utf8'), file);
}

function createKeyFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  // Written aside, then linked into place: of two processes provisioning the stage at once, one link
  // wins and both read the whole file it wrote (never a half-written one).
  const aside = `${file}.${process.pid}.${Date.now()}`;
  writeFileSync(aside, JSON.stringify(generateReplyKeys()) + '\n', { mode: 0o600 });
  try {
    linkSync(aside, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(aside, { force: true });
  }
}

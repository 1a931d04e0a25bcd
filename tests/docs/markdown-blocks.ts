import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');

export interface FencedBlock {
  /** The info string after the opening fence, e.g. `yaml` or `yaml invalid`. */
  readonly info: string;
  readonly text: string;
  /** 1-based line of the opening fence, for messages. */
  readonly line: number;
}

/** The fenced code blocks (```) of a Markdown file under docs/, in order. */
export function fencedBlocks(docsFile: string): FencedBlock[] {
  const lines = readFileSync(join(REPO_ROOT, 'docs', docsFile), 'utf8').split('\n');
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i] as string);
    if (!open) continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j] !== '```') body.push(lines[j++] as string);
    if (j >= lines.length) throw new Error(`docs/${docsFile}:${i + 1}: a code block is never closed`);
    blocks.push({ info: (open[1] as string).trim(), text: body.join('\n') + '\n', line: i + 1 });
    i = j;
  }
  return blocks;
}

import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';

jest.setTimeout(60_000);
const repoRoot = join(__dirname, '..');

/**
 * What only exists beside this repository on the machine it was written on: the project workspace's
 * shared folder next to it (the design contract, the seed documents) and that workspace's absolute paths.
 * A fresh clone anywhere else has none of it, so nothing committed may point there (this file included).
 */
const OUTSIDE_REFERENCES: readonly RegExp[] = [/\.\.\/shared\b/, /\/work\//, /\bseeds\/cch-/];

/** Files whose text is not ours to word: the lockfile lists registry URLs and hashes only. */
const NOT_SCANNED = new Set(['pnpm-lock.yaml']);

let workspace: string;
let clone: string;

beforeAll(() => {
  // An empty folder with nothing beside the clone; `git clone` of the local repository takes its
  // committed HEAD only (no working-tree edits, no ignored files such as node_modules).
  workspace = mkdtempSync(join(tmpdir(), 'cch-clone-'));
  clone = join(workspace, 'repo');
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', repoRoot, clone], { stdio: 'pipe' });
});

afterAll(() => {
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === '.git') return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? files(path) : [path];
  });
}

function isText(buffer: Buffer): boolean {
  return !buffer.subarray(0, 8000).includes(0);
}

describe('a clone of the committed repository in an empty folder', () => {
  it('has the files a first run needs', () => {
    for (const file of ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml', 'README.md', 'docs'])
      expect(existsSync(join(clone, file))).toBe(true);
  });

  it('references no path outside the repository', () => {
    const offending: string[] = [];
    for (const file of files(clone)) {
      const name = relative(clone, file);
      if (NOT_SCANNED.has(name)) continue;
      const buffer = readFileSync(file);
      if (!isText(buffer)) continue;
      buffer
        .toString('utf8')
        .split('\n')
        .forEach((line, index) => {
          if (OUTSIDE_REFERENCES.some((pattern) => pattern.test(line)))
            offending.push(`${name}:${index + 1}: ${line.trim()}`);
        });
    }
    expect(offending).toEqual([]);
  });

  it('has no symbolic link that leads outside it', () => {
    const root = realpathSync(clone);
    const escaping = files(clone)
      .filter((file) => lstatSync(file).isSymbolicLink())
      .filter((file) => {
        const target = existsSync(file) ? realpathSync(file) : '';
        return target !== root && !target.startsWith(root + sep);
      })
      .map((file) => relative(clone, file));
    expect(escaping).toEqual([]);
  });

  it('has Markdown links that all resolve to files inside it', () => {
    const broken: string[] = [];
    const root = realpathSync(clone);
    for (const file of files(clone).filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = (match[1] as string).split('#')[0] as string;
        if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // anchors, http(s), mailto
        const path = resolve(dirname(file), decodeURIComponent(target));
        const inside = path === root || path.startsWith(root + sep);
        if (!inside || !existsSync(path)) broken.push(`${relative(clone, file)}: ${match[1] as string}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

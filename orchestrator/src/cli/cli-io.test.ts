import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonOptionText, recordingIo } from './cli-io';

describe('jsonOptionText', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wf-json-option-'));
  const io = recordingIo(dir);

  it('drops the UTF-8 byte order mark that starts an @file', async () => {
    writeFileSync(join(dir, 'bom.json'), '\uFEFF{"a":1}');
    const text = await jsonOptionText(io, '@bom.json');
    expect(JSON.parse(text)).toEqual({ a: 1 });
  });

  it('returns an @file without a mark and inline JSON unchanged', async () => {
    writeFileSync(join(dir, 'plain.json'), '{"a":2}');
    expect(await jsonOptionText(io, '@plain.json')).toBe('{"a":2}');
    expect(await jsonOptionText(io, '{"a":3}')).toBe('{"a":3}');
  });
});

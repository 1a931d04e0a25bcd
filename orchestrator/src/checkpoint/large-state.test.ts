import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ERROR, emptyCheckpoint, uuid6, type PendingWrite } from '@langchain/langgraph-checkpoint';
import { startDynalite, type DynaliteServer } from '../../test/support/dynalite-server';
import { scanTable } from '../../test/support/table-items';
import { createCheckpointTable } from './create-checkpoint-table';
import { DynamoDBSaver } from './dynamodb-saver';
import { MAX_ITEM_BYTES, itemSizeBytes } from './item-size';

const MiB = 1024 * 1024;

let server: DynaliteServer;
let client: DynamoDBClient;

beforeAll(async () => {
  server = await startDynalite();
  client = server.createClient();
});

afterAll(async () => {
  await server.close();
});

/** Deterministic text of exactly `chars` UTF-16 units, mixing 1-, 2-, 3- and 4-byte UTF-8 characters. */
function text(chars: number, seed: number): string {
  const alphabet = ['a', 'b', 'Z', '7', '{', '"', 'é', 'ß', '€', '中', '😀'];
  let out = '';
  // Characters drawn by a hash chain (an LCG's low bits repeat, and brotli would fold the text away):
  // stored values are compressed when that helps, and this test is about sizes that need chunks.
  for (let block = createHash('sha256').update(String(seed)).digest(); out.length < chars;) {
    for (const byte of block) out += alphabet[byte % alphabet.length] ?? 'a';
    block = createHash('sha256').update(block).digest();
  }
  return out.slice(0, chars - 1) + 'x';
}

describe('DynamoDBSaver with state of any size', () => {
  it('round-trips a 1 MiB channel value and 5 MiB of pending writes exactly, in items of at most 400 KB', async () => {
    const tableName = 'large-state';
    await createCheckpointTable(client, tableName);
    const saver = new DynamoDBSaver({ client, tableName });
    const config = { configurable: { thread_id: 'big', checkpoint_ns: '' } };

    const bigValue = { document: text(MiB, 1), nested: { list: [text(1000, 2), 42, null, true] } };
    expect(Buffer.byteLength(JSON.stringify(bigValue))).toBeGreaterThan(MiB);
    const checkpoint = {
      ...emptyCheckpoint(),
      id: uuid6(-1),
      channel_values: { big: bigValue, small: 'tiny' },
      channel_versions: { big: 1, small: 1 },
    };
    const saved = await saver.put(
      config,
      checkpoint,
      { source: 'input', step: -1, parents: {} },
      { big: 1, small: 1 },
    );

    // 5 MiB of pending writes: ten 512 KiB writes in one call, a second task merged over several calls,
    // and a large special write replaced by an upsert.
    const taskA: PendingWrite[] = Array.from({ length: 10 }, (_, i) => [`out${i}`, text(MiB / 2, 10 + i)]);
    await saver.putWrites(saved, taskA, 'task-a');
    await saver.putWrites(saved, [['x', text(300_000, 30)]], 'task-b');
    await saver.putWrites(
      saved,
      [
        ['x', 'ignored retry'],
        ['y', text(400_000, 31)],
      ],
      'task-b',
    );
    await saver.putWrites(saved, [[ERROR, text(200_000, 32)]], 'task-b');
    await saver.putWrites(saved, [[ERROR, text(250_000, 33)]], 'task-b');
    const expectedWrites = [
      ...taskA.map(([channel, value]) => ['task-a', channel, value]),
      ['task-b', ERROR, text(250_000, 33)],
      ['task-b', 'x', text(300_000, 30)],
      ['task-b', 'y', text(400_000, 31)],
    ];
    const pendingBytes = expectedWrites.reduce((sum, w) => sum + Buffer.byteLength(String(w[2])), 0);
    expect(pendingBytes).toBeGreaterThan(5 * MiB);

    // A fresh saver, as a new process would read it.
    const reader = new DynamoDBSaver({ client, tableName });
    const tuple = await reader.getTuple(config);
    expect(tuple?.checkpoint).toEqual(checkpoint);
    expect(tuple?.pendingWrites).toEqual(expectedWrites);

    const items = await scanTable(client, tableName);
    const sizes = items.map(itemSizeBytes);
    expect(items.length).toBeGreaterThan(15);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_ITEM_BYTES);
  }, 30_000);
});

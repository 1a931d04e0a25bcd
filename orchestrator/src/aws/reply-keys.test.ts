import { EngineError } from '../runtime/errors';
import {
  generateReplyKeys,
  parseReplyKeys,
  RefreshingReplyKeys,
  replySendersFromEnv,
  senderIdsFromEnv,
} from './reply-keys';

const KEY = 'k'.repeat(40);

describe('reply keys as stored', () => {
  it('parses {"current", "previous"}; an empty previous is none', () => {
    expect(parseReplyKeys(JSON.stringify({ current: KEY, previous: '' }), 'test')).toEqual({ current: KEY });
  });

  it('generates 256 random bits per stage', () => {
    const a = generateReplyKeys();
    expect(a.current).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateReplyKeys().current).not.toBe(a.current);
  });
});

describe('RefreshingReplyKeys', () => {
  it('reads once, again after the refresh period, and keeps the keys in hand when a refresh fails', async () => {
    let now = 0;
    const reads: string[] = [];
    let fail = false;
    const failures: unknown[] = [];
    const keys = new RefreshingReplyKeys(
      () => {
        if (fail) return Promise.reject(new Error('throttled'));
        const current = `${reads.length}`.padStart(40, 'x');
        reads.push(current);
        return Promise.resolve({ current });
      },
      1000,
      () => now,
      (error) => failures.push(error),
    );
    expect(() => keys.keys()).toThrow(EngineError);
    await keys.refresh();
    await keys.refresh();
    expect(reads).toHaveLength(1);
    now = 1000;
    await keys.refresh();
    expect(keys.keys().current).toBe(reads[1]);
    fail = true;
    now = 5000;
    await keys.refresh();
    expect(keys.keys().current).toBe(reads[1]);
    expect(failures).toHaveLength(1);
  });

  it('fails when the keys were never read', async () => {
    const keys = new RefreshingReplyKeys(() => Promise.reject(new Error('AccessDenied')), 1000);
    await expect(keys.refresh()).rejects.toThrow('AccessDenied');
  });
});

describe('reply senders from the environment', () => {
  it('reads byDomain and others; unset means unchecked', () => {
    expect(
      replySendersFromEnv({
        CCH_REPLY_SENDERS: '{"byDomain":{"import":["AROAIMPORT"]},"others":["AROAMOCK"]}',
      }),
    ).toEqual({ byDomain: { import: ['AROAIMPORT'] }, others: ['AROAMOCK'] });
    expect(replySendersFromEnv({})).toBeUndefined();
    expect(() => replySendersFromEnv({ CCH_REPLY_SENDERS: '{"byDomain":{"import":"AROA"}}' })).toThrow(
      'byDomain.import must be a list',
    );
    expect(senderIdsFromEnv(' AROAORCH , ')).toEqual(['AROAORCH']);
  });
});

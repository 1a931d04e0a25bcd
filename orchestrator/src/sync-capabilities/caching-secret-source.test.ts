import { CachingSecretSource } from './caching-secret-source';
import { SecretUnavailableError, type SecretSource } from './secret-source';

/** A source that counts reads and answers from a mutable map, so a rotation can be simulated. */
function countingSource(values: Record<string, string>) {
  const reads: string[] = [];
  const source: SecretSource = {
    read: (id) => {
      reads.push(id);
      const value = values[id];
      return value === undefined
        ? Promise.reject(new SecretUnavailableError('SECRET_UNAVAILABLE', id, `secret '${id}' failed`, true))
        : Promise.resolve(value);
    },
  };
  return { source, reads };
}

describe('CachingSecretSource', () => {
  it('reads each secret once within the TTL, and again after it (a rotation reaches it)', async () => {
    const values: Record<string, string> = { a: 'one' };
    const { source, reads } = countingSource(values);
    let now = 0;
    const cache = new CachingSecretSource(source, 60_000, () => now);
    expect(await cache.read('a')).toBe('one');
    values.a = 'two';
    now = 59_999;
    expect(await cache.read('a')).toBe('one');
    now = 60_000;
    expect(await cache.read('a')).toBe('two');
    expect(reads).toEqual(['a', 'a']);
  });

  it('shares one read between concurrent callers', async () => {
    const { source, reads } = countingSource({ a: 'one' });
    const cache = new CachingSecretSource(source, 60_000, () => 0);
    expect(await Promise.all([cache.read('a'), cache.read('a'), cache.read('a')])).toEqual([
      'one',
      'one',
      'one',
    ]);
    expect(reads).toEqual(['a']);
  });

  it('keeps no failure: the next read (a retry) asks the source again', async () => {
    const values: Record<string, string> = {};
    const { source, reads } = countingSource(values);
    const cache = new CachingSecretSource(source, 60_000, () => 0);
    await expect(cache.read('a')).rejects.toMatchObject({ code: 'SECRET_UNAVAILABLE', retryable: true });
    values.a = 'now there';
    expect(await cache.read('a')).toBe('now there');
    expect(reads).toEqual(['a', 'a']);
  });
});

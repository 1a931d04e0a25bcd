import { InvalidReplyKeysError, RequestIds, requestNodeOf } from './request-ids';

const OLD = 'old-reply-key-0123456789abcdefghijklmnop';
const NEW = 'new-reply-key-0123456789abcdefghijklmnop';

describe('RequestIds', () => {
  const ids = new RequestIds({ current: OLD });

  it('issues <instance>:<node>:<visit>:<tag>, the same for the same logical request', () => {
    const id = ids.issue('order-42', 'Enrich', 1);
    expect(id).toMatch(/^order-42:Enrich:1:[A-Za-z0-9_-]{22}$/);
    expect(new RequestIds({ current: OLD }).issue('order-42', 'Enrich', 1)).toBe(id);
    expect(ids.issue('order-42', 'Enrich', 2)).not.toBe(id);
    expect(ids.issue('order-43', 'Enrich', 1).split(':')[3]).not.toBe(id.split(':')[3]);
  });

  it('verifies an id it issued, for its own instance only, and names its node and visit', () => {
    expect(ids.verify('a:b', ids.issue('a:b', 'Step_A', 3))).toEqual({ ok: true, node: 'Step_A', visit: 3 });
    expect(ids.verify('order-43', ids.issue('order-42', 'Enrich', 1))).toMatchObject({
      ok: false,
      code: 'REQUEST_ID_OTHER_INSTANCE',
    });
  });

  it.each([
    ['order-42:Enrich:1', 'after the instance id it has 2 parts, not 3'],
    ['order-42::1:AAAAAAAAAAAAAAAAAAAAAA', 'its <node> is empty'],
    ['order-42:Enrich:01:AAAAAAAAAAAAAAAAAAAAAA', 'its <visit> "01" is not a whole number from 1'],
    ['order-42:Enrich:7:abc', 'its <tag> "abc" is not 22 characters of A-Z, a-z, 0-9, _ and -'],
  ])('says what is wrong with a malformed id: %s', (requestId, problem) => {
    expect(ids.verify('order-42', requestId)).toEqual({
      ok: false,
      code: 'REQUEST_ID_MALFORMED',
      reason: `request_id is not <instance_id>:<node>:<visit>:<tag>: ${problem}`,
    });
  });

  it.each([
    ['the old untagged form', 'order-42:Enrich:1', 'REQUEST_ID_MALFORMED'],
    ['a retry wait', 'order-42:Enrich:1:retry:2', 'REQUEST_ID_MALFORMED'],
    ['visit zero', 'order-42:Enrich:0:AAAAAAAAAAAAAAAAAAAAAA', 'REQUEST_ID_MALFORMED'],
    ['a guessed tag', 'order-42:Enrich:1:AAAAAAAAAAAAAAAAAAAAAA', 'REQUEST_ID_FORGED'],
  ])('refuses %s (%s) with %s', (_label, requestId, code) => {
    expect(ids.verify('order-42', requestId)).toMatchObject({ ok: false, code });
  });

  it("tags Step Functions mode's ids (a task digest for the visit) under the same keys, each form checked apart", () => {
    const task = '0123456789abcdef';
    const id = ids.issueForTask('order-42', 'Enrich', task);
    expect(id).toMatch(/^order-42:Enrich:0123456789abcdef:[A-Za-z0-9_-]{22}$/);
    expect(ids.verifyTask('order-42', id)).toEqual({ ok: true, node: 'Enrich', task });
    // Rotation: the previous key still verifies what the current one issued before.
    expect(new RequestIds({ current: NEW, previous: OLD }).verifyTask('order-42', id)).toMatchObject({
      ok: true,
    });
    expect(new RequestIds({ current: NEW }).verifyTask('order-42', id)).toMatchObject({
      code: 'REQUEST_ID_FORGED',
    });
    // An engine id is no task id and a task id no engine id.
    expect(ids.verify('order-42', id)).toMatchObject({ ok: false, code: 'REQUEST_ID_MALFORMED' });
    expect(ids.verifyTask('order-42', ids.issue('order-42', 'Enrich', 1))).toMatchObject({
      ok: false,
      code: 'REQUEST_ID_MALFORMED',
    });
    expect(() => ids.issueForTask('order-42', 'Enrich', '12')).toThrow('16 hex digits');
  });

  it('refuses an id of another deployment (another key), and one with a tag altered by a character', () => {
    const foreign = new RequestIds({ current: NEW }).issue('order-42', 'Enrich', 1);
    expect(ids.verify('order-42', foreign)).toMatchObject({ ok: false, code: 'REQUEST_ID_FORGED' });
    const genuine = ids.issue('order-42', 'Enrich', 1);
    const altered = genuine.slice(0, -1) + (genuine.endsWith('A') ? 'B' : 'A');
    expect(ids.verify('order-42', altered)).toMatchObject({ ok: false, code: 'REQUEST_ID_FORGED' });
  });

  it('rotation: ids issued under either key verify while the other is current or previous', () => {
    const before = ids.issue('i', 'N', 1);
    const adding = new RequestIds({ current: OLD, previous: NEW });
    const swapped = new RequestIds({ current: NEW, previous: OLD });
    const after = swapped.issue('i', 'N', 1);
    for (const ring of [adding, swapped]) {
      expect(ring.verify('i', before).ok).toBe(true);
      expect(ring.verify('i', after).ok).toBe(true);
    }
    expect(new RequestIds({ current: NEW }).verify('i', before).ok).toBe(false);
  });

  it('reads its keys from a source on every call, so a refreshed source takes effect at once', () => {
    let keys = { current: OLD };
    const ring = new RequestIds({ keys: () => keys });
    const first = ring.issue('i', 'N', 1);
    keys = { current: NEW, previous: OLD } as typeof keys;
    expect(ring.issue('i', 'N', 1)).not.toBe(first);
    expect(ring.verify('i', first).ok).toBe(true);
  });

  it('refuses keys too short to make ids unguessable', () => {
    expect(() => new RequestIds({ current: 'short' })).toThrow(InvalidReplyKeysError);
    expect(() => new RequestIds({ current: OLD, previous: '' })).toThrow(InvalidReplyKeysError);
  });

  it('requestNodeOf reads the node of either form', () => {
    expect(requestNodeOf('i:1', ids.issue('i:1', 'Ask', 2))).toBe('Ask');
    expect(requestNodeOf('i', 'i:Ask:1')).toBe('Ask');
    expect(requestNodeOf('i', 'j:Ask:1')).toBeUndefined();
  });
});

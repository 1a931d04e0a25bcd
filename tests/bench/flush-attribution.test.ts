import { attributedWriteUnits } from '../../scripts/bench/cost/flush-attribution';

describe('attributedWriteUnits', () => {
  it("takes out the item of the commit before the window and adds the window's last items, written after it", () => {
    expect(
      attributedWriteUnits({
        windowWcu: 7,
        writtenInWindow: { 'i:Task_A:1:x': 1 },
        writtenAfter: { 'i:B_001:1:a': 2, 'i:B_002:1:b': 1, 'i:B_003:1:c': 1, 'i:Task_C:1:d': 1 },
        answered: new Set(['i:B_001:1:a', 'i:B_002:1:b', 'i:B_003:1:c']),
      }),
    ).toBe(7 - 1 + 4);
  });

  it("keeps the window's own items and counts an item written twice (a redelivered flush) once", () => {
    expect(
      attributedWriteUnits({
        windowWcu: 20,
        writtenInWindow: { 'i:B_001:1:a': 1, 'i:B_002:1:b': 1 },
        writtenAfter: { 'i:B_002:1:b': 1, 'i:B_003:1:c': 1 },
        answered: new Set(['i:B_001:1:a', 'i:B_002:1:b', 'i:B_003:1:c']),
      }),
    ).toBe(21);
  });

  it('changes nothing when every item a window wrote is its own and none came later', () => {
    expect(
      attributedWriteUnits({
        windowWcu: 12,
        writtenInWindow: { a: 1 },
        writtenAfter: {},
        answered: new Set(['a']),
      }),
    ).toBe(12);
  });
});

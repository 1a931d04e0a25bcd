import { itemReadUnits, queryReadUnits, writeUnits } from '../../scripts/bench/cost/capacity-units';

/** DynamoDB's capacity rules, checked against examples worked by hand from the DynamoDB documentation. */
describe('write units', () => {
  it('one unit per started KB of the item, at least one', () => {
    expect(writeUnits(0)).toBe(1);
    expect(writeUnits(500)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(writeUnits(400 * 1024)).toBe(400);
  });

  it('an update is billed on the larger of the item before and after', () => {
    // A 3,000-byte record whose 200-byte attribute changes: 3 units, not 1.
    expect(writeUnits(3000, 3000)).toBe(3);
    // Shrinking a 10 KB item to 500 bytes still costs the 10 units of the old item.
    expect(writeUnits(500, 10 * 1024)).toBe(10);
    expect(writeUnits(5 * 1024 + 1, 1024)).toBe(6);
  });
});

describe('read units (strongly consistent)', () => {
  it('GetItem: one unit per started 4 KB of the item; a missing item still costs one', () => {
    expect(itemReadUnits(undefined)).toBe(1);
    expect(itemReadUnits(100)).toBe(1);
    expect(itemReadUnits(4096)).toBe(1);
    expect(itemReadUnits(4097)).toBe(2);
    expect(itemReadUnits(10 * 1024)).toBe(3);
  });

  it('eventually consistent reads cost half', () => {
    expect(itemReadUnits(4097, false)).toBe(1);
    expect(itemReadUnits(100, false)).toBe(0.5);
  });

  it('Query: the total size of the items returned, rounded up to 4 KB, not item by item', () => {
    // Five 1,000-byte items: 5,000 bytes in all, 2 units (5 if each were a GetItem).
    expect(queryReadUnits([1000, 1000, 1000, 1000, 1000])).toBe(2);
    // A latest-page query of 16 items of 3 KB: 48 KB, 12 units.
    expect(queryReadUnits(Array.from({ length: 16 }, () => 3 * 1024))).toBe(12);
    expect(queryReadUnits([])).toBe(1);
    expect(queryReadUnits([4096, 1], false)).toBe(1);
  });
});

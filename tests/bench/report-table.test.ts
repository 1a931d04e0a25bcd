import { kb, num, ratio, renderSection } from '../../scripts/bench/cost/report-table';

describe('bench tables', () => {
  it('aligns columns: text left, numbers right, under a dashed rule', () => {
    const text = renderSection({
      title: 'T',
      header: ['name', 'value'],
      rows: [
        ['a', '1.5'],
        ['longer', '12.25'],
      ],
      notes: ['a note'],
    });
    expect(text.split('\n')).toEqual([
      'T',
      'name    value',
      '------  -----',
      'a         1.5',
      'longer  12.25',
      '  a note',
    ]);
  });

  it('formats numbers, ratios and kilobytes', () => {
    expect(num(65503)).toBe('65,503');
    expect(num(1.234, 2)).toBe('1.23');
    expect(num(undefined)).toBe('n/a');
    expect(ratio(3, 2)).toBe('1.50x');
    expect(ratio(1, 0)).toBe('n/a');
    expect(kb(2048)).toBe('2.0');
    expect(kb(1024 * 1024)).toBe('1,024');
  });
});

import { evaluateCondition } from './expression';
import { LinearRegExp } from './linear-regexp';

describe('LinearRegExp', () => {
  it('matches like RegExp, with groups, index and lastIndex', () => {
    const re = new LinearRegExp(/(\d+)-(\w+)/g);
    const first = re.exec('id 12-ab and 34-cd');
    expect([...(first ?? [])]).toEqual(['12-ab', '12', 'ab']);
    expect(first?.index).toBe(3);
    expect(re.lastIndex).toBe(8);
    expect([...(re.exec('id 12-ab and 34-cd') ?? [])]).toEqual(['34-cd', '34', 'cd']);
    expect(re.exec('id 12-ab and 34-cd')).toBeNull();
    expect(re.lastIndex).toBe(0);
  });

  it('honours the i flag', () => {
    expect(new LinearRegExp(/clear/i).test('CLEAR')).toBe(true);
    expect(new LinearRegExp(/clear/).test('CLEAR')).toBe(false);
  });

  it('JSONata conditions use it: regex functions still work', async () => {
    await expect(evaluateCondition('$contains(code, /^VN-\\d{3}$/)', { code: 'VN-123' })).resolves.toBe(true);
    await expect(evaluateCondition('$contains(code, /^VN-\\d{3}$/)', { code: 'US-123' })).resolves.toBe(
      false,
    );
    await expect(evaluateCondition('$replace(name, /a+/, "x") = "bxnxnx"', { name: 'banana' })).resolves.toBe(
      true,
    );
  });

  it('a catastrophically backtracking pattern over long input finishes (linear time)', async () => {
    // With a backtracking engine this input takes far longer than the jest timeout.
    const text = 'a'.repeat(5_000) + '!';
    await expect(evaluateCondition('$contains(text, /^(a+)+$/)', { text })).resolves.toBe(false);
  });
});

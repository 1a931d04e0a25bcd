import { RE2JS } from 're2js';

/**
 * A RegExp look-alike for JSONata's `RegexEngine` option, backed by RE2JS: matching takes time linear in
 * the input, so a pattern like `/^(a+)+$/` over user data cannot stall the orchestrator (a native RegExp
 * backtracks exponentially, and JSONata's time limit cannot interrupt a single `exec`). JSONata only uses
 * `lastIndex` and `exec`; patterns RE2 cannot express (back-references, look-around) fail to compile,
 * which the choice reports as an expression error.
 */
export class LinearRegExp {
  lastIndex = 0;
  readonly source: string;
  readonly flags: string;
  private readonly pattern: RE2JS;

  constructor(regex: RegExp | string, flags?: string) {
    this.source = typeof regex === 'string' ? regex : regex.source;
    this.flags = flags ?? (typeof regex === 'string' ? '' : regex.flags);
    let re2Flags = 0;
    if (this.flags.includes('i')) re2Flags |= RE2JS.CASE_INSENSITIVE;
    if (this.flags.includes('m')) re2Flags |= RE2JS.MULTILINE;
    if (this.flags.includes('s')) re2Flags |= RE2JS.DOTALL;
    this.pattern = RE2JS.compile(this.source, re2Flags);
  }

  exec(input: string): RegExpExecArray | null {
    const matcher = this.pattern.matcher(input);
    if (this.lastIndex > input.length || !matcher.find(this.lastIndex)) {
      this.lastIndex = 0;
      return null;
    }
    const groups: (string | undefined)[] = [];
    for (let i = 0; i <= matcher.groupCount(); i++) groups.push(matcher.group(i) ?? undefined);
    const result = Object.assign(groups, { index: matcher.start(), input }) as unknown as RegExpExecArray;
    this.lastIndex = matcher.end();
    return result;
  }

  test(input: string): boolean {
    return this.exec(input) !== null;
  }
}

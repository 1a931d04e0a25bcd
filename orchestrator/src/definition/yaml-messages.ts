/** How the YAML library names its tokens, as the text a user would see in the file. */
const TOKEN_TEXT = new Map<string, string>([
  ['flow-map-start', "'{'"],
  ['flow-map-end', "'}'"],
  ['flow-seq-start', "'['"],
  ['flow-seq-end', "']'"],
  ['map-value-ind', "':'"],
  ['seq-item-ind', "'-'"],
  ['explicit-key-ind', "'?'"],
  ['comma', "','"],
  ['doc-start', "'---'"],
  ['doc-end', "'...'"],
  ['block-scalar-header', "'|' or '>'"],
  ['anchor', 'an anchor (&)'],
  ['tag', 'a tag (!)'],
  ['alias', 'an alias (*)'],
  ['comment', 'a comment'],
  ['scalar', 'text'],
  ['block-seq-ind', "'-'"],
]);

const FLOW_NAME = new Map<string, string>([
  ['flow map', '{ } map'],
  ['flow sequence', '[ ] list'],
  ['Flow map', '{ } map'],
  ['Flow sequence', '[ ] list'],
]);

const flow = (name: string | undefined): string => FLOW_NAME.get(name ?? '') ?? 'collection';
/** `source` is the token's text as JSON, when the message has it. */
const token = (type: string | undefined, source: string | undefined): string => {
  if (source !== undefined) return source.length > 42 ? `${source.slice(0, 40)}…"` : source;
  return TOKEN_TEXT.get(type ?? '') ?? `'${type ?? '?'}'`;
};

/**
 * The YAML library's messages that speak of its own internals (tokens, implicit keys, flow collections),
 * each with a plain sentence saying the same. Messages not listed are already plain enough.
 */
const PLAIN: readonly [RegExp, (m: RegExpExecArray) => string][] = [
  [/^Tabs are not allowed as indentation/, () => 'tabs cannot be used for indentation; indent with spaces'],
  [
    /^All mapping items must start at the same column/,
    () => 'the keys of a map must all start at the same column',
  ],
  [
    /^All sequence items must start at the same column/,
    () => 'the items of a list must all start at the same column',
  ],
  [
    /^Implicit keys (?:of flow sequence pairs )?need to be on a single line/,
    () => "a key must be on a single line, followed by ':' (is a ':' missing?)",
  ],
  [
    /^Implicit map keys need to be followed by map values/,
    () => "a key must be followed by ':' and its value",
  ],
  [
    /^Nested mappings are not allowed in compact mappings/,
    () => 'a map cannot start on the same line as the key it belongs to; put it on the next line, indented',
  ],
  [/^A block sequence may not be used as an implicit map key/, () => 'a list cannot be used as a key'],
  [/^Missing closing (["'])quote/, (m) => `the quoted text is never closed: a closing ${m[1]} is missing`],
  [
    /^(Flow map|Flow sequence) in block collection must be sufficiently indented and end with a (.)/,
    (m) =>
      `the ${flow(m[1])} must end with '${m[2]}', and each of its lines must be indented more than the key it belongs to`,
  ],
  [/^(Flow map|Flow sequence) must end with a (.)/, (m) => `the ${flow(m[1])} must end with '${m[2]}'`],
  [
    /^Missing , between (flow map|flow sequence) items/,
    (m) => `a ',' is missing between two entries of a ${flow(m[1])}`,
  ],
  [
    /^Missing , or : between (flow map|flow sequence) items/,
    (m) => `a ',' or ':' is missing between two entries of a ${flow(m[1])}`,
  ],
  [
    /^Missing space after : in (flow map|flow sequence)/,
    (m) => `a space is missing after ':' in a ${flow(m[1])}`,
  ],
  [
    /^Block collections are not allowed within flow collections/,
    () =>
      "a map or list written on its own lines (or a 'key: value' with no ',' or '}' before the next ':') cannot be inside '{ }' or '[ ]'; separate entries with ',' or write the whole value on indented lines",
  ],
  [/^Unexpected , in (flow map|flow sequence)/, (m) => `unexpected ',' in a ${flow(m[1])}`],
  [
    /^Unexpected empty item in (flow map|flow sequence)/,
    (m) => `an empty entry in a ${flow(m[1])} (two ',' in a row?)`,
  ],
  [
    /^Unexpected (\S+) token in YAML (?:stream|document)(?:: (.*))?$/,
    (m) =>
      `unexpected ${token(m[1], m[2])} here; it does not fit the structure above it (check its indentation)`,
  ],
  [
    /^Unexpected block-seq-ind on same line with key/,
    () => "a list item ('-') cannot start on the same line as its key; put it on the next line",
  ],
  [/^Unexpected (\S+) at node end/, (m) => `unexpected ${token(m[1], undefined)} after a value`],
  [/^Unexpected (\S+) token$/, (m) => `unexpected ${token(m[1], undefined)}`],
  [
    /^Comments must be separated from other tokens by white space characters/,
    () => "a comment ('#') must be separated from what comes before it by a space",
  ],
  [/^Sequence item without - indicator/, () => "a list item is missing its '-'"],
  [/^Plain value cannot start with (.*)/, (m) => `text cannot start with ${m[1]} unless it is quoted`],
  [/^Invalid escape sequence (.*)/, (m) => `invalid escape sequence ${m[1]} in double-quoted text`],
  [/^Unresolved tag: (.*)/, (m) => `unknown tag ${m[1]}`],
  [
    /^Unexpected doc-end without preceding document/,
    () => "'...' (end of document) with no document before it",
  ],
  [
    /^Missing directives-end(?:\/doc-start)? indicator line/,
    () => "a '%' directive must be followed by a '---' line",
  ],
  [
    /^Block scalar header includes extra characters: (.*)/,
    (m) => `unexpected characters after '|' or '>': ${m[1]}`,
  ],
  [
    /^Block scalar values in collections must be indented/,
    () => "the lines of a '|' or '>' text must be indented more than its key",
  ],
  [/^Not a YAML token: (.*)/, (m) => `unexpected characters: ${m[1]}`],
  [/^Maximum call stack size exceeded/, () => 'the file is nested too deeply to read'],
];

/** A YAML parse error or warning as a plain sentence, without the library's vocabulary. */
export function plainYamlMessage(message: string): string {
  for (const [pattern, plain] of PLAIN) {
    const match = pattern.exec(message);
    if (match) return plain(match);
  }
  return message;
}

/** A table of the bench's output: aligned columns under a title, with notes below. */
export interface Section {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes?: readonly string[];
}

/** Columns padded to their widest cell; numbers (and ratios) right-aligned, text left-aligned. */
export function renderSection(section: Section): string {
  const all = [section.header, ...section.rows];
  const columns = section.header.length;
  const widths = Array.from({ length: columns }, (_, i) =>
    Math.max(...all.map((row) => (row[i] ?? '').length)),
  );
  const numeric = Array.from({ length: columns }, (_, i) =>
    section.rows.every((row) =>
      /^(?:[-+<>≤~]?\s?[\d.,]+\s?(?:x|%|ms|s|KB|MB|B|\$)?|n\/a|-|)$/.test(row[i] ?? ''),
    ),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (numeric[i] && i > 0 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [section.title, line(section.header), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of section.rows) out.push(line(row));
  for (const note of section.notes ?? []) out.push(`  ${note}`);
  return out.join('\n');
}

/** A number with a fixed count of decimals and thousands separators. */
export function num(value: number | undefined, decimals = 0): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** `a / b` as `1.23x`, or n/a. */
export function ratio(a: number | undefined, b: number | undefined, decimals = 2): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0)
    return 'n/a';
  return `${(a / b).toFixed(decimals)}x`;
}

/** Kilobytes with one decimal below 100 KB. */
export function kb(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return 'n/a';
  const k = bytes / 1024;
  return k < 100 ? k.toFixed(1) : num(k);
}

/** `yes` / `NO` for a target. */
export function met(ok: boolean | undefined): string {
  return ok === undefined ? 'n/a' : ok ? 'yes' : 'NO';
}

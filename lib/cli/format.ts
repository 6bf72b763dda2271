// Text output of the `shmem` commands: names shown safely, ages, modes, tables.

/**
 * A name as printed in text output and messages: as is, unless it holds
 * whitespace, control or other invisible characters (or starts with a quote),
 * then as a JSON string, so that a name can never forge a line or a column.
 */
export function shown(name: string): string {
  return /^[\p{L}\p{N}\p{M}\p{P}\p{S}]+$/u.test(name) && !name.startsWith('"') ? name : JSON.stringify(name);
}

/** Seconds as the two largest units: `45s`, `5m3s`, `2h15m`, `3d4h`. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/** Permission bits as four octal digits, e.g. `0600`. */
export function octalMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Permission bits as `ls -l` shows them, e.g. `rw-------`. */
export function symbolicMode(mode: number): string {
  const bit = (mask: number, c: string) => (mode & mask ? c : '-');
  const exec = (x: number, special: number, set: string) =>
    mode & special ? (mode & x ? set : set.toUpperCase()) : bit(x, 'x');
  return (
    bit(0o400, 'r') + bit(0o200, 'w') + exec(0o100, 0o4000, 's') +
    bit(0o040, 'r') + bit(0o020, 'w') + exec(0o010, 0o2000, 's') +
    bit(0o004, 'r') + bit(0o002, 'w') + exec(0o001, 0o1000, 't')
  );
}

/**
 * Rows as aligned columns separated by two spaces. Columns listed in
 * `right` are right-aligned (numbers); the last column is never padded.
 */
export function table(header: string[], rows: string[][], right: ReadonlySet<number> = new Set()): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => all.reduce((w, r) => Math.max(w, r[i].length), 0));
  const line = (r: string[]) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : right.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ');
  return all.map(line).join('\n');
}

/** A JSON array with one element per line: readable, and still one JSON value. */
export function jsonArray(items: unknown[]): string {
  return items.length === 0 ? '[]' : `[\n${items.map((i) => `  ${JSON.stringify(i)}`).join(',\n')}\n]`;
}

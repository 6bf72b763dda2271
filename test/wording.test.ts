// Users know the article the project started from, not how the project is
// made: no help text, demo output, README, API comment or error message
// speaks of seeds or issues.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { shmem } from './cli-run';
import { PACKAGE_ROOT } from './helpers';

// "seed", "issue" and their plurals, as words (a random generator's seed in
// a test is not user-visible; nothing here reads tests).
const FORBIDDEN = /\b(seeds?|issues?)\b/i;

function offending(text: string): string[] {
  return text.split('\n').filter((line) => FORBIDDEN.test(line));
}

describe('the words users see', () => {
  test('the CLI help of every command and the demo say "the article", never seed or issue', async () => {
    const top = await shmem(['--help']);
    expect(top.code).toBe(0);
    const commands = ['ls', 'info', 'rm', 'prune', 'race', 'demo'];
    for (const c of commands) expect(top.stdout).toMatch(new RegExp(`^ +${c} `, 'm'));
    const texts = [top.stdout];
    for (const c of commands) {
      const r = await shmem([c, '--help']);
      expect(r.code).toBe(0);
      texts.push(r.stdout + r.stderr);
    }
    const demo = await shmem(['demo', '--iterations', '2000']);
    expect(demo.code).toBe(0);
    texts.push(demo.stdout + demo.stderr);
    expect(texts.join('\n')).toMatch(/the article/i);
    expect(texts.flatMap(offending)).toEqual([]);
  }, 120_000);

  test('the README, the docs and the library source (API comments, error messages) never speak of seeds or issues', () => {
    const files = ['README.md', ...(fs.readdirSync(path.join(PACKAGE_ROOT, 'lib'), { recursive: true }) as string[]).map((f) => path.join('lib', f))];
    const docs = path.join(PACKAGE_ROOT, 'docs');
    if (fs.existsSync(docs)) for (const f of fs.readdirSync(docs)) if (f.endsWith('.md')) files.push(path.join('docs', f));
    const found: string[] = [];
    for (const f of files) {
      const full = path.join(PACKAGE_ROOT, f);
      if (!fs.statSync(full).isFile()) continue;
      for (const line of offending(fs.readFileSync(full, 'utf8'))) found.push(`${f}: ${line.trim()}`);
    }
    expect(found).toEqual([]);
  });
});

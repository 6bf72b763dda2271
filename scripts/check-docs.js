#!/usr/bin/env node
// Keeps the API docs true; `npm run docs` runs it after typedoc. From
// typedoc's JSON output (not from the sources), it checks that:
//  1. every public symbol has a comment, and every class, function and method
//     (static, instance, constructor excepted) an @example;
//  2. every runtime export of the package is documented;
//  3. every @example is a ```ts block that type-checks against the package as a
//     consumer sees it: each is written to its own .mts file in a temporary
//     project whose node_modules/shmem is this package ("module": "nodenext",
//     resolved through package.json's exports to dist/index.d.mts), and tsc
//     checks them all in one run. An example without its own import from
//     'shmem' gets one for every export; it declares what it assumes
//     (`declare const shm: SharedMemory;`).
//  4. the code blocks of README.md, CONTRIBUTING.md and docs/*.md hold: each
//     ```ts block type-checks as an @example does, and each ```js block is a
//     whole CommonJS program (it requires what it uses) that type-checks as
//     JavaScript (checkJs) in the same consumer project.
// Usage: node scripts/check-docs.js [typedoc-json] (default: the "json" output
// in typedoc.json).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const { ROOT, TSC, makeConsumerProject, consumerCompilerOptions } = require('./consumer-project');


// typedoc's ReflectionKind values (stable across 0.2x releases).
const Kind = {
  Project: 0x1,
  Module: 0x2,
  Namespace: 0x4,
  Enum: 0x8,
  EnumMember: 0x10,
  Variable: 0x20,
  Function: 0x40,
  Class: 0x80,
  Interface: 0x100,
  Constructor: 0x200,
  Property: 0x400,
  Method: 0x800,
  Accessor: 0x40000,
  TypeAlias: 0x200000,
};
const kindName = (kind) => Object.keys(Kind).find((k) => Kind[k] === kind) ?? `kind ${kind}`;
const NEEDS_EXAMPLE = Kind.Class | Kind.Function | Kind.Method;
const TYPE_ONLY = Kind.Interface | Kind.TypeAlias;

function jsonPath() {
  if (process.argv[2]) return path.resolve(process.argv[2]);
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'typedoc.json'), 'utf8'));
  const out = (config.outputs ?? []).find((o) => o.name === 'json');
  if (!out) throw new Error('typedoc.json has no "json" output');
  return path.resolve(ROOT, out.path);
}

const hasText = (parts) => (parts ?? []).some((p) => p.text.trim() !== '');

// The comments that document a reflection: functions, methods and
// constructors carry them on their signatures, accessors on get/set.
function commentsOf(r) {
  if (r.signatures) return r.signatures.map((s) => s.comment);
  if (r.kind === Kind.Accessor) return [r.getSignature?.comment ?? r.setSignature?.comment];
  return [r.comment];
}

const problems = [];
const examples = []; // { where, code }

function collectExamples(where, comment) {
  for (const tag of comment?.blockTags ?? []) {
    if (tag.tag !== '@example') continue;
    const blocks = tag.content.filter((p) => p.kind === 'code' && p.text.startsWith('```'));
    if (blocks.length === 0) problems.push(`${where}: @example without a \`\`\`ts code block`);
    for (const block of blocks) {
      const m = /^```(\w*)\n([\s\S]*?)\n?```$/.exec(block.text);
      if (!m || !['ts', 'typescript'].includes(m[1])) {
        problems.push(`${where}: @example code must be a \`\`\`ts block`);
        continue;
      }
      examples.push({ where, code: m[2] });
    }
  }
}

function visit(r, parent) {
  // Members a class inherits (AbortError's from Error) are documented by their base.
  if (r.inheritedFrom || r.flags?.isExternal || r.flags?.isPrivate || r.flags?.isProtected) return;
  const where = parent && r.kind !== Kind.Project ? `${parent}.${r.name}` : r.name;
  const comments = commentsOf(r);
  for (const c of comments) {
    if (c?.modifierTags?.includes('@internal')) problems.push(`${where} (${kindName(r.kind)}): marked @internal but documented`);
    if (!hasText(c?.summary)) problems.push(`${where} (${kindName(r.kind)}): no comment`);
    else if (r.kind & NEEDS_EXAMPLE && !c.blockTags?.some((t) => t.tag === '@example')) {
      problems.push(`${where} (${kindName(r.kind)}): no @example`);
    }
    collectExamples(where, c);
  }
  for (const child of r.children ?? []) visit(child, r.kind === Kind.Project ? '' : where);
}

function typeCheck(exportNames) {
  const dir = makeConsumerProject('shmem-docs-');
  try {
    const importAll = `import { ${exportNames.join(', ')} } from 'shmem';`;
    const files = new Map(); // file name -> { where, offset }
    examples.forEach(({ where, code }, i) => {
      const file = `ex${String(i).padStart(3, '0')}.mts`;
      const own = /from\s+['"]shmem['"]/.test(code);
      fs.writeFileSync(path.join(dir, file), own ? `${code}\n` : `${importAll}\n${code}\n`);
      files.set(file, { where, offset: own ? 0 : 1 });
    });
    jsPrograms.forEach(({ where, code }, i) => {
      const file = `js${String(i).padStart(3, '0')}.cjs`;
      fs.writeFileSync(path.join(dir, file), code);
      files.set(file, { where, offset: 0 });
    });
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: consumerCompilerOptions({ noEmit: true, skipLibCheck: true, allowJs: true, checkJs: true }),
        files: [...files.keys()],
      }),
    );
    const tsc = spawnSync(process.execPath, [TSC, '-p', dir], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (tsc.status === 0) return;
    // Name the example and its own line numbers in tsc's messages.
    const out = (tsc.stdout + tsc.stderr).replace(/^((?:ex|js)\d+\.[mc]ts|(?:ex|js)\d+\.cjs)\((\d+),(\d+)\)/gm, (all, file, line, col) => {
      const f = files.get(file);
      return f ? `example of ${f.where}, line ${line - f.offset}:${col}` : all;
    });
    problems.push(`@example code does not type-check:\n${out.trim()}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// The code blocks of the Markdown documentation (point 4).
const jsPrograms = []; // { where, code }
function collectMarkdown() {
  const docs = path.join(ROOT, 'docs');
  const files = ['README.md', 'CONTRIBUTING.md', ...fs.readdirSync(docs).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f))];
  for (const f of files) {
    const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
    for (const m of text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
      const line = text.slice(0, m.index).split('\n').length;
      if (m[1] === 'ts' || m[1] === 'typescript') examples.push({ where: `${f}:${line}`, code: m[2] });
      else if (m[1] === 'js' || m[1] === 'javascript') jsPrograms.push({ where: `${f}:${line}`, code: m[2] });
    }
  }
  return jsPrograms.length;
}

function main() {
  const file = jsonPath();
  const project = JSON.parse(fs.readFileSync(file, 'utf8'));
  visit(project, '');

  const documented = new Set((project.children ?? []).map((c) => c.name));
  for (const name of Object.keys(require(ROOT))) {
    if (name !== '__esModule' && !documented.has(name)) problems.push(`export ${name} is not in the API docs`);
  }

  const exportNames = (project.children ?? []).map((c) => (c.kind & TYPE_ONLY ? `type ${c.name}` : c.name));
  const jsBlocks = collectMarkdown();
  if (examples.length + jsPrograms.length > 0) typeCheck(exportNames);

  if (problems.length > 0) {
    console.error(`check-docs: ${problems.length} problem(s) in ${path.relative(process.cwd(), file)}:`);
    for (const p of problems) console.error(`- ${p}`);
    process.exit(1);
  }
  console.log(`check-docs: ${documented.size} exports documented, ${examples.length} examples and Markdown ts blocks and ${jsBlocks} js programs type-check`);
}

main();

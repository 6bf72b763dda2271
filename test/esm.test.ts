// The package as consumers load it: `import` (ESM) and `require` (CommonJS)
// give the same exports, the same classes and one native state; and a
// TypeScript consumer with "module": "nodenext" type-checks (both module
// kinds), including `using`, and runs.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { TSC, makeConsumerProject, consumerCompilerOptions } = require('../scripts/consumer-project');

let dir: string;

beforeAll(() => {
  // A consumer project whose node_modules/shmem is this package, resolved
  // through package.json's "exports" like an installed copy.
  dir = makeConsumerProject('shmem-consumer-');
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function node(file: string): string {
  return execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8' });
}

test('import and require give the same exports, classes and native state', () => {
  fs.writeFileSync(
    path.join(dir, 'same.mjs'),
    `import * as esm from 'shmem';
import { createRequire } from 'node:module';
const cjs = createRequire(import.meta.url)('shmem');
const names = (o) => Object.keys(o).filter((k) => k !== 'default' && k !== '__esModule').sort();
const shm = esm.SharedMemory.create({ size: 64 });
try {
  const other = cjs.SharedMemory.open(shm.name);
  shm.buffer.write('hi');
  const result = {
    esm: names(esm),
    cjs: names(cjs),
    sameClass: esm.SharedMemory === cjs.SharedMemory && esm.Mutex === cjs.Mutex,
    instance: other instanceof esm.SharedMemory,
    seen: other.buffer.toString('utf8', 0, 2),
  };
  other.close();
  console.log(JSON.stringify(result));
} finally {
  shm.close();
  shm.unlink();
}
`,
  );
  const r = JSON.parse(node('same.mjs'));
  expect(r.esm).toEqual(r.cjs);
  expect(r.esm).toEqual(expect.arrayContaining(['SharedMemory', 'Semaphore', 'Mutex', 'wait', 'waitAsync', 'notify', 'isSystemError', 'AbortError']));
  expect(r.sameClass).toBe(true);
  expect(r.instance).toBe(true);
  expect(r.seen).toBe('hi');
});

describe('a TypeScript consumer with "module": "nodenext"', () => {
  const consumer = (kind: 'esm' | 'cjs') => `import { SharedMemory, Semaphore, isSystemError, type WaitResult } from 'shmem';

function main(): string {
  using shm = SharedMemory.create({ size: 16 });
  using sem = Semaphore.create({ value: 1, unlinkOnExit: true });
  try {
    const size: number = shm.size;
    const buf: Buffer = shm.buffer;
    buf.writeUInt32LE(7, 0);
    const r: WaitResult = 'ok';
    sem.post();
    return \`${kind} \${size} \${buf.readUInt32LE(0)} \${r} \${sem.tryWait()}\`;
  } finally {
    shm.unlink();
    sem.unlink();
  }
}
try {
  console.log(main());
} catch (err) {
  if (isSystemError(err)) console.log(err.code);
  throw err;
}
`;

  beforeAll(() => {
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: consumerCompilerOptions({ skipLibCheck: false }),
        files: ['consumer.mts', 'consumer.cts'],
      }),
    );
    fs.writeFileSync(path.join(dir, 'consumer.mts'), consumer('esm'));
    fs.writeFileSync(path.join(dir, 'consumer.cts'), consumer('cjs'));
  });

  test('type-checks, compiles and runs as ESM (.mts) and CommonJS (.cts)', () => {
    const tsc = spawnSync(process.execPath, [TSC, '-p', dir], { cwd: dir, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    expect(node('consumer.mjs').trim()).toBe('esm 16 7 ok true');
    expect(node('consumer.cjs').trim()).toBe('cjs 16 7 ok true');
  });

  test('the types are real: a wrong call is a type error in both module kinds', () => {
    const bad = `import { SharedMemory } from 'shmem';\nSharedMemory.create({ size: '16' });\n`;
    fs.writeFileSync(path.join(dir, 'bad.mts'), bad);
    fs.writeFileSync(path.join(dir, 'bad.cts'), bad);
    try {
      const tsc = spawnSync(
        process.execPath,
        [TSC, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'ES2022',
          '--types', 'node', '--typeRoots', consumerCompilerOptions().typeRoots[0], 'bad.mts', 'bad.cts'],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(tsc.status).not.toBe(0);
      for (const file of ['bad.mts', 'bad.cts']) expect(tsc.stdout).toMatch(new RegExp(`${file}\\(2,\\d+\\): error TS2322`));
    } finally {
      fs.rmSync(path.join(dir, 'bad.mts'));
      fs.rmSync(path.join(dir, 'bad.cts'));
    }
  });
});

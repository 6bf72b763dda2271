// A throw-away consumer project of this package, as users have one: its
// node_modules/shmem is this package (resolved through package.json's
// "exports", like an installed copy) and its TypeScript settings are those of
// a modern Node project ("module": "nodenext"). Used by scripts/check-docs.js
// (the @example blocks) and test/esm.test.ts.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** A new temporary directory set up as a consumer project; the caller removes it. */
function makeConsumerProject(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'shmem'), 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  return dir;
}

/** compilerOptions of the consumer's tsconfig.json, with `extra` on top. */
function consumerCompilerOptions(extra = {}) {
  return {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'ES2022',
    lib: ['ES2022', 'ESNext.Disposable'],
    types: ['node'],
    typeRoots: [path.join(ROOT, 'node_modules', '@types')],
    strict: true,
    ...extra,
  };
}

module.exports = { ROOT, TSC, makeConsumerProject, consumerCompilerOptions };

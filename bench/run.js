#!/usr/bin/env node
'use strict';
// npm run bench [-- --json] [--quick] [--only counter[,bulk]] [--list]
// Runs each benchmark row together with its baselines, in this same run, and
// prints a table of medians (min–max) and ratios against the targets.

const { parseArgs } = require('node:util');
const lib = require('./lib');

const ROWS = [
  require('./counter-semaphore'),
  require('./counter-atomics'),
  require('./bulk'),
  require('./lifecycle'),
  require('./counter-mutex'),
  require('./struct'),
  require('./mutex-uncontended'),
  require('./pingpong'),
  require('./channel'),
];

const USAGE = `usage: node bench/run.js [options]
  --json          one JSON object per line on stdout (machine first, then one per result)
  --quick         small N and fewer repetitions: a smoke run, figures not meaningful
  --only <rows>   run only rows whose name contains one of these (comma-separated, repeatable)
  --list          list the rows and exit
  -h, --help      this help
rows: ${ROWS.map((r) => r.name).join(', ')}`;

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        json: { type: 'boolean', default: false },
        quick: { type: 'boolean', default: false },
        only: { type: 'string', multiple: true },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.list) {
    process.stdout.write(`${ROWS.map((r) => r.name).join('\n')}\n`);
    return 0;
  }
  const filters = (values.only ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const rows = filters.length ? ROWS.filter((r) => filters.some((f) => r.name.includes(f))) : ROWS;
  if (rows.length === 0) {
    process.stderr.write(`no row matches --only ${filters.join(',')}\n${USAGE}\n`);
    return 2;
  }

  const machine = lib.machine();
  const mode = values.quick ? 'quick' : 'full';
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ kind: 'machine', ...machine, mode, date: new Date().toISOString() })}\n`);
  } else {
    process.stdout.write(
      `machine: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, python ${machine.python ?? 'not found'}, ${machine.kernel} (${machine.arch})\n` +
        `mode: ${mode}${values.quick ? ' (smoke run: small N, figures not meaningful)' : ''}\n\n`,
    );
  }

  const results = [];
  let failed = false;
  for (const row of rows) {
    lib.log(`[${row.name}]`);
    const t0 = lib.nowMs();
    try {
      const rowResults = await row.run({ quick: values.quick, log: lib.log });
      for (const r of rowResults) {
        results.push(r);
        if (values.json) process.stdout.write(`${JSON.stringify({ kind: 'result', ...r })}\n`);
      }
    } catch (err) {
      failed = true;
      lib.log(`  ${row.name} FAILED: ${err && err.stack ? err.stack : err}`);
      if (values.json) process.stdout.write(`${JSON.stringify({ kind: 'error', row: row.name, error: String(err && err.message) })}\n`);
    } finally {
      lib.cleanupAll();
    }
    lib.log(`  (${((lib.nowMs() - t0) / 1000).toFixed(1)} s)`);
  }

  if (!values.json) {
    lib.printTable(results);
    const notes = results.flatMap((r) => (r.notes ?? []).map((n) => `  ${r.row}/${r.metric}: ${n}`));
    if (notes.length) process.stdout.write(`\nnotes:\n${notes.join('\n')}\n`);
    // Counted per target line: a row can have several (bulk-64mib: the
    // original target and the one against the C floor).
    const targets = results.flatMap((r) => r.targets.map((t) => ({ r, t })));
    const unmet = targets.filter(({ t }) => !t.met).map(({ r, t }) => `${r.row}/${r.metric}${r.targets.length > 1 ? ` (${lib.describeTarget(t, r.unit)})` : ''}`);
    process.stdout.write(`\n${targets.length - unmet.length}/${targets.length} targets met${unmet.length ? `; not met: ${unmet.join(', ')}` : ''}\n`);
    // A row's result is met by its own rule (\`met\`): every target for most,
    // either target where one is against a C floor (pingpong, mutex-uncontended).
    const unmetRows = results.filter((r) => !r.met).map((r) => `${r.row}/${r.metric}`);
    process.stdout.write(`${results.length - unmetRows.length}/${results.length} results met${unmetRows.length ? `; not met: ${unmetRows.join(', ')}` : ''}\n`);
  }
  // Targets not met are reported, not turned into a failing exit code; a row
  // that could not run is.
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);

// A full /dev/shm must give ENOSPC from create(), never a SIGBUS later, and
// leave no name behind. Runs node in a private mount namespace with a 1 MiB
// tmpfs over /dev/shm (needs root and unshare, as CI has).
import { spawnSync } from 'node:child_process';

import { PACKAGE_ROOT } from './helpers';

function canUnshare(): boolean {
  const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs /dev/shm'], { stdio: 'ignore' });
  return r.status === 0;
}

const available = process.platform === 'linux' && canUnshare();
const maybe = available ? describe : describe.skip;

maybe(available ? 'a full /dev/shm' : 'a full /dev/shm (skipped: needs Linux, root and unshare -m)', () => {
  test('create() fails with ENOSPC, leaves no name, and the process lives on', () => {
    const script = `
      const fs = require('fs');
      const { SharedMemory } = require(${JSON.stringify(PACKAGE_ROOT)});
      const out = {};
      try { SharedMemory.create({ name: 'too-big', size: 4 << 20 }); out.created = true; }
      catch (err) { out.error = { code: err.code, syscall: err.syscall, path: err.path, message: err.message }; }
      out.left = fs.readdirSync('/dev/shm');
      const fits = SharedMemory.create({ name: 'fits', size: 512 << 10 });
      fits.buffer.fill(7);            // touching every page must not fault
      out.sum = fits.buffer.reduce((a, b) => a + b, 0);
      fits.close(); fits.unlink();
      console.log(JSON.stringify(out));
    `;
    const r = spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs -o size=1m tmpfs /dev/shm && exec "${process.execPath}" -e "$0"`, script], {
      encoding: 'utf8',
    });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(out.created).toBeUndefined();
    expect(out.error).toEqual({
      code: 'ENOSPC',
      syscall: 'posix_fallocate',
      path: '/too-big',
      message: "ENOSPC: no space left on device, posix_fallocate '/too-big'",
    });
    expect(out.left).toEqual([]);
    expect(out.sum).toBe(7 * (512 << 10));
  });
});

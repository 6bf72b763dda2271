// User and group names for `shmem ls` and `info`, from /etc/passwd and
// /etc/group: one read each, no NSS. Users known only to LDAP or similar
// show as a number.
import * as fs from 'node:fs';

function readIds(file: string): Map<number, string> {
  const names = new Map<number, string>();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return names;
  }
  for (const line of text.split('\n')) {
    // name:password:id:...
    const [name, , id] = line.split(':');
    const n = Number(id);
    if (name && id !== undefined && id !== '' && Number.isInteger(n) && !names.has(n)) names.set(n, name);
  }
  return names;
}

let users: Map<number, string> | undefined;
let groups: Map<number, string> | undefined;

/** The name of user `uid`, or null if /etc/passwd does not list it. */
export function userName(uid: number): string | null {
  users ??= readIds('/etc/passwd');
  return users.get(uid) ?? null;
}

/** The name of group `gid`, or null if /etc/group does not list it. */
export function groupName(gid: number): string | null {
  groups ??= readIds('/etc/group');
  return groups.get(gid) ?? null;
}

/**
 * The floor of the merge benchmark: not sso-sync, but the least work a sync of the benchmark's assignments into the
 * benchmark's config takes, written as tightly as one function a step allows, to measure what any Node program pays
 * for it on this machine. It writes the same bytes as sso-sync (a test holds it to that), and does each step a sync
 * must do once: read the file; find the block; walk the person's lines once for their profile names and for a section
 * or key given twice; check the block's checksum; name, sort and render the profiles; compare the block; write
 * atomically (a lock, a temp file synced, a check that the file still holds what was read, the rename, the directory
 * synced).
 *
 * The corners it cuts, which sso-sync may not: Python's reading of the lines (continuation lines, indented headers,
 * UTF-8, lone CRs, CRLF files, a BOM), every naming rule but the default ones, a name given twice or taken by the
 * person, more than one session, the log's added/removed/changed, the removal guard, a hand edit in the block (it
 * throws), the open writers and the replaced file looked at after the rename, the leftovers of killed writers, and
 * every error message. It serves the benchmark's input and nothing else.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { Assignment } from '../src/core/types.js';

const begin = '# BEGIN sso-sync bench (managed: edits inside are replaced; checksum ';
const end = '# END sso-sync bench';

/** The first 8 hex digits of the SHA-256 of a body, as the BEGIN marker carries them. */
const checksum = (body: string) => createHash('sha256').update(body, 'latin1').digest('hex').slice(0, 8);

/**
 * One walk of the person's lines (ASCII, LF, no continuation lines): the profile names their headers give, and how
 * many headers, and keys within a section, are given twice.
 */
function walkLines(text: string, taken: Set<string>, headers: Set<string>): number {
  let repeats = 0;
  const keys: string[] = [];
  let inSection = false;
  for (let s = 0; s < text.length;) {
    let e = text.indexOf('\n', s);
    if (e === -1) e = text.length;
    const c = text.charCodeAt(s);
    if (c === 91) {
      const header = text.slice(s + 1, text.lastIndexOf(']', e));
      if (headers.has(header)) repeats++;
      else headers.add(header);
      if (header.startsWith('profile ')) taken.add(header.slice(8));
      keys.length = 0;
      inSection = true;
    } else if (inSection && s < e && c !== 35 && c !== 59 && c !== 32 && c !== 9) {
      let sep = s;
      while (sep < e && text.charCodeAt(sep) !== 61 && text.charCodeAt(sep) !== 58) sep++;
      if (sep < e) {
        let keyEnd = sep;
        while (text.charCodeAt(keyEnd - 1) === 32) keyEnd--;
        const key = text.slice(s, keyEnd).toLowerCase();
        if (keys.includes(key)) repeats++;
        else keys.push(key);
      }
    }
    s = e + 1;
  }
  return repeats;
}

/** A profile to be: its name and its assignment. */
interface Named {
  name: string;
  a: Assignment;
}

/** The default rules' names (`{account}-{role}`, AdministratorAccess as admin, ReadOnlyAccess as nothing), sorted. */
function names(assignments: readonly Assignment[], taken: ReadonlySet<string>): Named[] {
  const accounts = new Map<string, string>();
  const named: Named[] = [];
  for (let i = 0; i < assignments.length; i++) {
    const a = assignments[i]!;
    let account = accounts.get(a.accountName);
    if (account === undefined)
      accounts.set(a.accountName, (account = a.accountName.toLowerCase().replace(/\s+/g, '-')));
    const role = a.roleName === 'AdministratorAccess' ? 'admin' : a.roleName === 'ReadOnlyAccess' ? '' : a.roleName;
    const name = role === '' ? account : `${account}-${role}`;
    if (taken.has(name)) throw new Error(`the floor does not handle a taken name (${name})`);
    named.push({ name, a });
  }
  if (new Set(named.map((n) => n.name)).size !== named.length) throw new Error('the floor does not settle clashes');
  return named.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

/** The block's body: each profile's lines, a blank line between profiles. */
function body(named: readonly Named[], region: string): string {
  const lines: string[] = [];
  for (let i = 0; i < named.length; i++) {
    const { name, a } = named[i]!;
    if (i > 0) lines.push('');
    lines.push(
      `[profile ${name}]`,
      `sso_session = ${a.session}`,
      `sso_account_id = ${a.accountId}`,
      `sso_role_name = ${a.roleName}`,
      `region = ${region}`,
    );
  }
  return lines.join('\n');
}

/** Replaces `file` with `text` atomically, once it still holds `read`. */
function replace(file: string, read: string, text: string): void {
  const lock = `${file}.sso-sync.lock`;
  const claim = `${lock}.${process.pid}`;
  writeFileSync(claim, String(process.pid));
  linkSync(claim, lock);
  unlinkSync(claim);
  try {
    const temp = `${file}.${process.pid}.tmp`;
    const fd = openSync(temp, 'wx', 0o600);
    writeSync(fd, Buffer.from(text, 'latin1'));
    fsyncSync(fd);
    closeSync(fd);
    if (readFileSync(file, 'latin1') !== read) throw new Error('the file changed');
    renameSync(temp, file);
    const dir = openSync(path.dirname(file), 'r');
    fsyncSync(dir);
    closeSync(dir);
  } finally {
    unlinkSync(lock);
  }
}

/**
 * One sync of `assignments` (session `bench`, region `region`) into `file`; whether it wrote, and how many sections
 * or keys the file as it leaves it gives twice.
 */
export function floorSync(
  file: string,
  assignments: readonly Assignment[],
  region: string,
): {
  written: boolean;
  repeats: number;
} {
  const text = readFileSync(file, 'latin1');
  const at = text.indexOf(begin);
  const endAt = at === -1 ? -1 : text.indexOf(`\n${end}`, at) + 1;
  const after = at === -1 ? -1 : text.indexOf('\n', endAt) + 1 || text.length;
  const person = at === -1 ? text : text.slice(0, at) + text.slice(after);
  const taken = new Set<string>();
  const headers = new Set<string>();
  let repeats = walkLines(person, taken, headers);
  if (at !== -1) {
    const bodyAt = text.indexOf('\n', at) + 1;
    if (text.slice(bodyAt - 10, bodyAt - 2) !== checksum(text.slice(bodyAt, endAt - 1)))
      throw new Error('the floor does not handle a hand edit');
  }
  const named = names(assignments, taken);
  const newBody = body(named, region);
  const block = `${begin}${checksum(newBody)})\n${newBody === '' ? '' : `${newBody}\n`}${end}\n`;
  for (let i = 0; i < named.length; i++) if (headers.has(`profile ${named[i]!.name}`)) repeats++;
  if (at !== -1 && text.slice(at, after) === block) {
    readdirSync(path.dirname(file));
    return { written: false, repeats };
  }
  if (text !== '' && !text.endsWith('\n')) throw new Error('the floor does not handle a file without a final newline');
  // A new block goes at the end, after a blank line.
  const separated = text === '' || text.endsWith('\n\n') ? text : `${text}\n`;
  replace(file, text, at === -1 ? separated + block : text.slice(0, at) + block + text.slice(after));
  return { written: true, repeats };
}

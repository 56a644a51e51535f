/**
 * Writes the config a person wrote for the merge benchmark: `node dist/bench/persons-config.js FILE MEGABYTES`.
 * Run as a process of its own, so that building the file counts in no measured process's memory.
 *
 * The file: a `[default]` profile, the `[sso-session bench]` the benchmark syncs, then hand-written role
 * profiles of five lines and a blank line each (a role ARN, a source profile, a region, a comment), about 110
 * bytes a profile, up to the size asked for. It is written a megabyte at a time.
 */
import { appendFileSync, statSync, writeFileSync } from 'node:fs';

const [file, megabytes] = process.argv.slice(2);
if (file === undefined || megabytes === undefined) throw new Error('usage: persons-config.js FILE MEGABYTES');
const bytes = Number(megabytes) * 1024 * 1024;
writeFileSync(
  file,
  '# a large hand-written config\n[default]\nregion = eu-west-1\n\n' +
    '[sso-session bench]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-north-1\n\n',
);
let size = statSync(file).size;
let chunk = '';
for (let i = 0; size < bytes; i++) {
  const section =
    `[profile hand-${i}]\nrole_arn = arn:aws:iam::${String(100000000000 + i)}:role/Deploy\n` +
    `source_profile = default\nregion = us-east-1\n# note ${i}\n\n`;
  chunk += section;
  size += section.length;
  if (chunk.length > 1 << 20) {
    appendFileSync(file, chunk);
    chunk = '';
  }
}
appendFileSync(file, chunk);

/**
 * The merge benchmark's own process, so that its peak RSS is its own: a 1.5 MB config the person wrote,
 * 10,000 assignments, plan + atomic write; then the same sync again, which must write nothing.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readConfig, writeConfig } from '../src/config-file/config-file.js';
import { planSync, type PlanInput } from '../src/core/plan.js';
import { defaultRules } from '../src/core/profile-names.js';
import type { Assignment } from '../src/core/types.js';

function personsConfig(bytes: number): string {
  const parts: string[] = ['# a large hand-written config\n[default]\nregion = eu-west-1\n\n'];
  let size = parts[0]!.length;
  for (let i = 0; size < bytes; i++) {
    const section = `[profile hand-${i}]\nrole_arn = arn:aws:iam::${String(100000000000 + i)}:role/Deploy\nsource_profile = default\nregion = us-east-1\n# note ${i}\n\n`;
    parts.push(section);
    size += section.length;
  }
  return parts.join('');
}

const roles = ['AdministratorAccess', 'ReadOnlyAccess', 'PowerUserAccess', 'Billing'];
const assignments: Assignment[] = Array.from({ length: 10_000 }, (_, i) => ({
  session: 'bench',
  accountId: String(200000000000 + Math.floor(i / 4)),
  accountName: `Bench Account ${Math.floor(i / 4)}`,
  roleName: roles[i % 4]!,
}));

const dir = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-merge-'));
try {
  const file = path.join(dir, 'config');
  writeFileSync(file, personsConfig(1.5 * 1024 * 1024));
  const inputSize = statSync(file).size;
  const session = {
    name: 'bench',
    startUrl: 'https://d-1234567890.awsapps.com/start',
    region: 'eu-north-1',
    scopes: ['sso:account:access'],
  };
  const input = (text: string | undefined): PlanInput => ({
    text,
    fetched: [{ session, assignments }],
    configuredSessions: ['bench'],
    rules: defaultRules,
    guard: { maxRemovalShare: 0.5, allowMassRemoval: false },
  });
  const sync = async () => {
    // A file changed in the last 100 ms is first watched until it holds still (see readConfig); a config is
    // normally last written minutes before a sync, so the merge is timed on a file left alone that long.
    await sleep(150);
    const started = performance.now();
    const snapshot = await readConfig(file);
    let profiles = 0;
    const result = await writeConfig(snapshot, (current) => {
      const plan = planSync(input(current));
      if (!plan.ok) throw new Error('refused');
      profiles = plan.outcomes[0]!.profileCount;
      return plan.changed ? plan.text : undefined;
    });
    return { ms: performance.now() - started, written: result.written, profiles };
  };
  const first = await sync();
  const second = await sync();
  console.log(
    `input ${(inputSize / 1024 / 1024).toFixed(2)} MB, output ${(statSync(file).size / 1024 / 1024).toFixed(2)} MB, ${first.profiles} profiles`,
  );
  console.log(`first sync (10,000 profiles added, written):   ${first.ms.toFixed(0)} ms, written ${first.written}`);
  console.log(`second sync (no change, nothing written):      ${second.ms.toFixed(0)} ms, written ${second.written}`);
  console.log(
    `peak RSS of the process:                       ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The demo `npm run demo` runs: the built-in emulator organisation, a temp HOME with a config a person wrote,
 * `sso-sync login` (device code, approved by the emulator at once) with the sync that follows it, the resulting
 * file, then a change of assignments shown as a dry-run diff and applied.
 * No AWS account is needed; nothing outside the temp HOME is touched.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinFixture } from '../emulator/fixture.js';
import { startEmulator } from '../emulator/server.js';

const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const keep = process.argv.includes('--keep');
const bold = process.stdout.isTTY && !process.env.NO_COLOR;
const say = (text: string) => process.stdout.write(bold ? `\n\x1b[1m== ${text}\x1b[0m\n` : `\n== ${text}\n`);

const personsConfig = `# My AWS config. sso-sync never changes these lines.
[default]
region = eu-west-1
output = json

[profile legacy-keys]
region = us-east-1
s3 =
  max_concurrent_requests = 20

[sso-session mycorp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = eu-north-1
sso_registration_scopes = sso:account:access
`;

const settings = `# sso-sync settings for the demo
profiles:
  strip_prefix: [mycorp-]
  default_region: eu-west-1
  regions:
    - { match: "*-eu*", region: eu-central-1 }
`;

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  process.stdout.write(`$ sso-sync ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}

async function main(): Promise<void> {
  const fixture = builtinFixture();
  // The emulator approves device codes at once: it stands in for the person approving in a browser.
  const emulator = await startEmulator({ fixture, latencyMs: 5, autoApproveDevice: true, deviceInterval: 1 });
  const home = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-demo-'));
  try {
    const config = path.join(home, '.aws', 'config');
    mkdirSync(path.join(home, '.aws', 'sso', 'cache'), { recursive: true, mode: 0o700 });
    mkdirSync(path.join(home, '.config', 'sso-sync'), { recursive: true });
    writeFileSync(config, personsConfig, { mode: 0o600 });
    writeFileSync(path.join(home, '.config', 'sso-sync', 'settings.yaml'), settings);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: home,
      AWS_CONFIG_FILE: config,
      AWS_ENDPOINT_URL_SSO: emulator.url,
      AWS_ENDPOINT_URL_SSO_OIDC: emulator.url,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_STATE_HOME: path.join(home, '.local', 'state'),
    };

    say(`An SSO emulator serves ${fixture.accounts.length} accounts at ${emulator.url}; HOME is ${home}`);
    process.stdout.write('(it approves sign-ins at once, standing in for you approving the code in a browser)\n');
    say('The config before, as the person wrote it');
    process.stdout.write(personsConfig);
    say('Sign in (the AWS CLI shares the token); the first sync follows and writes a managed block');
    const first = await run(['login', '--device-code', '--no-browser'], env);
    say('The config after');
    process.stdout.write(readFileSync(config, 'utf8'));

    say('A week later: an account is closed, a new one opens, a role is granted');
    const [closed, ...rest] = fixture.accounts;
    rest[0] = { ...rest[0]!, roles: [...rest[0]!.roles, 'Billing'] };
    emulator.setFixture({
      accounts: [
        ...rest,
        {
          accountId: '101010101010',
          accountName: 'MyCorp Analytics EU',
          roles: ['AdministratorAccess', 'ReadOnlyAccess'],
        },
      ],
    });
    process.stdout.write(`(${closed!.accountName} closed)\n`);
    say('What would change (--dry-run writes nothing)');
    await run(['--once', '--dry-run'], env);
    say('Apply it; the log names every profile added and removed');
    const second = await run(['--once'], env);
    say('And once more: nothing changed, nothing written');
    const third = await run(['--once'], env);
    if (keep) process.stdout.write(`\nThe demo HOME is kept at ${home}\n`);
    process.exitCode = [first, second, third].every((c) => c === 0) ? 0 : 1;
  } finally {
    await emulator.stop();
    if (!keep) rmSync(home, { recursive: true, force: true });
  }
}

await main();

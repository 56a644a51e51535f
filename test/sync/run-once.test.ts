/** One sync cycle in process, for what only happens between the read and the rename. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { TokenKeeper } from '../../src/auth/token-keeper.js';
import { createOidcApi } from '../../src/aws/oidc-api.js';
import { createSsoApi } from '../../src/aws/sso-api.js';
import { systemClock } from '../../src/clock/clock.js';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { startEmulator } from '../../src/emulator/server.js';
import { runOnce } from '../../src/sync/run-once.js';
import { writeToken } from '../../src/token/cache.js';

test('a file changed and changed back while sso-sync writes keeps the person\'s content, not the intermediate one', async (t) => {
  const emulator = await startEmulator({ fixture: builtinFixture() });
  const home = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-aba-'));
  t.after(async () => {
    await emulator.stop();
    rmSync(home, { recursive: true, force: true });
  });
  const config = path.join(home, '.aws', 'config');
  mkdirSync(path.dirname(config), { recursive: true });
  const a = '[default]\nregion = eu-west-1\n\n[sso-session mycorp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-north-1\n';
  const b = a.replace('region = eu-west-1', 'region = us-east-1   # a mistake, undone a moment later');
  writeFileSync(config, a);
  const { accessToken, expiresAt } = emulator.issueAccessToken({ expiresInSeconds: 3600 });
  await writeToken(home, 'mycorp', { startUrl: 'https://d-1234567890.awsapps.com/start', region: 'eu-north-1', accessToken, expiresAt, refreshToken: undefined, clientId: undefined, clientSecret: undefined, registrationExpiresAt: undefined, other: {} });

  const env = { HOME: home, AWS_CONFIG_FILE: config, XDG_STATE_HOME: path.join(home, 'state'), XDG_CONFIG_HOME: path.join(home, 'cfg') };
  const log = pino({ level: 'silent' });
  let step = 0;
  const previous = process.env.AWS_ENDPOINT_URL_SSO;
  process.env.AWS_ENDPOINT_URL_SSO = emulator.url; // the SSO client reads its endpoint override from the process
  t.after(() => (previous === undefined ? delete process.env.AWS_ENDPOINT_URL_SSO : (process.env.AWS_ENDPOINT_URL_SSO = previous)));
  const report = await runOnce(
    {
      env,
      clock: systemClock,
      log,
      createApi: (region) => createSsoApi(region, systemClock),
      createKeeper: (refreshWindowMs) => new TokenKeeper({ home, clock: systemClock, log, oidc: (r) => createOidcApi(r, env), refreshWindowMs, lockDir: path.join(home, 'locks') }),
      out: () => undefined,
      // First attempt: someone writes B. Second attempt: they change it back to A.
      afterTempWritten: async () => writeFileSync(config, ++step === 1 ? b : step === 2 ? a : readFileSync(config)),
    },
    { sessions: [], dryRun: false, allowMassRemoval: false, settingsFile: undefined },
  );
  assert.equal(report.exitCode, 0);
  assert.equal(step, 3, 'the merge was redone twice');
  const text = readFileSync(config, 'utf8');
  assert.ok(text.startsWith(a), `the person's content A is kept:\n${text.slice(0, 200)}`);
  assert.match(text, /# BEGIN sso-sync mycorp/);
});

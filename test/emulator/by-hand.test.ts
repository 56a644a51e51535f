/**
 * Trying sso-sync against `npm run emulator` by hand, as its banner says: the printed sso-session section in a
 * config, the printed exports, the printed login command, and the device code approved on the page in a browser.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { tempDir } from '../helpers/temp-dir.js';
import { openPage, pageText, pressButton } from './device-browser.js';
import { bannerExports, bannerSessionSection, startMain } from './main-process.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/**
 * Starts the emulator as `npm run emulator` does, puts the banner's section in a fresh HOME's config, runs the
 * banner's login command with its exports and `--no-browser`, and opens the URL the login prints, as a person would.
 */
async function loginByHand(t: { after(fn: () => unknown): void }) {
  const main = await startMain([]);
  t.after(() => main.kill());
  const home = tempDir(t, 'sso-sync-by-hand-');
  const configFile = path.join(home, '.aws', 'config');
  mkdirSync(path.dirname(configFile), { recursive: true });
  writeFileSync(configFile, `[default]\nregion = eu-west-1\n\n${bannerSessionSection(main.banner)}`);

  const command = /^ {2}sso-sync (login .+)$/m.exec(main.banner)?.[1];
  assert.ok(command, main.banner);
  const login = spawn(process.execPath, [CLI, ...command.split(' '), '--no-browser'], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_STATE_HOME: path.join(home, '.local', 'state'),
      ...bannerExports(main.banner),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const limit = setTimeout(() => login.kill('SIGKILL'), 60_000);
  t.after(() => {
    clearTimeout(limit);
    if (login.exitCode === null && login.signalCode === null) login.kill('SIGKILL');
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => login.on('exit', (code) => resolve(code)));

  // The code the person is told to check, and the URL they are told to open.
  const [, userCode, url] = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const pattern = /Check that the page shows the code ([A-Z]{4}-[A-Z]{4})\.[\s\S]*?^ {2}(http\S+)$/m;
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match !== null) resolve(match);
    };
    login.stdout.on('data', take);
    login.stderr.on('data', take);
    void exited.then((code) => reject(new Error(`login exited with ${code} before printing a URL:\n${output}`)));
  });
  const endpoint = bannerExports(main.banner).AWS_ENDPOINT_URL_SSO_OIDC!;
  assert.ok(url!.startsWith(`${endpoint}/device?user_code=`), url);
  const page = await openPage(url!);
  assert.equal(page.status, 200);
  assert.ok(pageText(page.html).includes(`The application sso-sync asks to sign in`), page.html);
  assert.ok(pageText(page.html).includes(userCode!), `the page shows ${userCode!}`);
  return { main, home, configFile, url: url!, page, exited, output: () => output };
}

test('`sso-sync login --device-code --no-browser` against the emulator finishes once the code is approved on its page', async (t) => {
  const { main, home, configFile, url, page, exited, output } = await loginByHand(t);
  const approved = await pressButton(url, page.html, 'approve');
  assert.equal(approved.status, 200);
  assert.match(pageText(approved.html), /Approved: you can close this tab\./);

  assert.equal(await exited, 0, output());
  assert.equal(readdirSync(path.join(home, '.aws', 'sso', 'cache')).length, 1, 'the token is in the AWS CLI cache');
  const config = readFileSync(configFile, 'utf8');
  assert.match(config, /^# BEGIN sso-sync emulator\b/m, 'the sync after the login wrote the managed block');
  assert.match(config, /^\[profile .+\]$/m);
  assert.equal(await main.stop(), 0);
});

test('a code denied on the page ends the login with exit 3 and says so; nothing is written', async (t) => {
  const { main, home, configFile, url, page, exited, output } = await loginByHand(t);
  const before = readFileSync(configFile, 'utf8');
  const denied = await pressButton(url, page.html, 'deny');
  assert.equal(denied.status, 200);
  assert.match(pageText(denied.html), /^Denied Denied:/);

  assert.equal(await exited, 3, output());
  assert.match(
    output(),
    /the sign-in to sso-session emulator was denied; run `sso-sync login --session emulator --device-code`/,
  );
  const cache = path.join(home, '.aws', 'sso', 'cache');
  assert.ok(!existsSync(cache) || readdirSync(cache).length === 0, 'no token was cached');
  assert.equal(readFileSync(configFile, 'utf8'), before);
  assert.equal(await main.stop(), 0);
});

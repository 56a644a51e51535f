/**
 * The progress line of a long `sso-sync --once`, seen through a real pseudo-terminal (`script`, from util-linux) as a
 * person would see it: it appears, and the screen it leaves is clean. With stderr piped, not a byte of it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { generateFixture } from '../../src/emulator/fixture.js';
import { cliPath, profileNames, sandbox, sessionSection, type Sandbox } from '../helpers/sandbox.js';

/** Whether `script` is here; CI has util-linux, so there a missing one fails instead of skipping. */
function hasScript(t: TestContext): boolean {
  if (spawnSync('script', ['-q', '-e', '-c', 'true', '/dev/null']).status === 0) return true;
  if (process.env.CI === 'true') assert.fail('script (util-linux) is not installed; CI must have it');
  t.skip('script (util-linux) is not installed here');
  return false;
}

/**
 * The screen a terminal shows after this output: `\r` goes back to the line's start, `\n` down a line, ESC[2K
 * clears the line; text overwrites what is under the cursor.
 */
function screen(output: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  let col = 0;
  for (let i = 0; i < output.length; i++) {
    const c = output[i]!;
    if (output.startsWith('\x1b[2K', i)) {
      lines[row] = '';
      i += 3;
    } else if (c === '\r') col = 0;
    else if (c === '\n') {
      row++;
      lines[row] ??= '';
    } else {
      const line = lines[row]!.padEnd(col);
      lines[row] = line.slice(0, col) + c + line.slice(col + 1);
      col++;
    }
  }
  return lines;
}

/** Runs the CLI on a pseudo-terminal (stdout and stderr both on it, as in a person's shell); what the terminal got. */
async function onTerminal(box: Sandbox, args: string[]): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, cliPath, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
    env: { ...process.env, ...box.env, TERM: 'xterm', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, output };
}

/** An organisation large enough, behind a slow and throttled portal, that a full sync takes a few seconds. */
async function slowBox(t: TestContext): Promise<Sandbox> {
  const box = await sandbox({
    fixture: generateFixture({ accounts: 80, rolesPerAccount: 2, seed: 7 }),
    latencyMs: 20,
    throttle: { ratePerSecond: 30, burst: 10 },
  });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  box.signIn();
  return box;
}

const progressLine = /syncing mycorp: 80 accounts listed, roles \d+\/80(, \d+ throttled)?/;

test('a long sync on a terminal shows its progress, then erases it before its own output', async (t) => {
  if (!hasScript(t)) return;
  const box = await slowBox(t);

  const dry = await onTerminal(box, ['--once', '--dry-run']);
  assert.equal(dry.code, 0, dry.output);
  assert.match(dry.output, progressLine, 'the progress line was drawn');
  assert.match(dry.output, /\d+ throttled/, 'the throttled requests are counted');
  const dryScreen = screen(dry.output);
  assert.ok(
    dryScreen.every((line) => !line.includes('syncing mycorp:')),
    `no progress is left on the screen:\n${dryScreen.join('\n')}`,
  );
  assert.ok(
    dryScreen.some((line) => line.startsWith('+[profile ')),
    'the diff follows on a clean screen',
  );

  // Debug lines go to the same terminal while the progress line is drawn (fetch.completed comes before its end).
  const run = await onTerminal(box, ['--once', '--log-level', 'debug']);
  assert.equal(run.code, 0, run.output);
  assert.match(run.output, progressLine);
  const runScreen = screen(run.output);
  assert.ok(
    runScreen.every((line) => !line.includes('syncing mycorp:')),
    `no progress is left on the screen:\n${runScreen.join('\n')}`,
  );
  // Each log line starts on a line of its own: none was written after a progress line's text.
  const logLines = runScreen.filter((line) => line.includes('profile.added'));
  assert.equal(logLines.length, 160);
  assert.ok(
    logLines.every((line) => /^\[\d\d:\d\d:\d\d\] INFO: profile\.added /.test(line)),
    logLines[0],
  );
  const fetched = runScreen.filter((line) => line.includes('fetch.completed'));
  assert.equal(fetched.length, 1);
  assert.match(fetched[0]!, /^\[\d\d:\d\d:\d\d\] DEBUG: fetch\.completed fetched 160 assignments for mycorp/);
  assert.equal(profileNames(readFileSync(box.configFile, 'utf8')).length, 160);
});

test('with stderr piped, a long sync writes no progress at all', async (t) => {
  const box = await slowBox(t);
  const run = await box.run(['--once', '--dry-run']);
  assert.equal(run.code, 0, run.stderr);
  for (const text of [run.stderr, run.stdout]) {
    assert.doesNotMatch(text, /syncing mycorp:|\r/);
    assert.ok(!text.includes('\x1b[2K'), 'no line was cleared');
  }
  assert.match(run.stdout, /^\+\[profile /m, 'the sync ran');
});

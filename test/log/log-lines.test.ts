/**
 * The daemon's light logger writes the lines pino writes: the same keys in the same order, the same secrets
 * censored, so that `sso-sync log`, journald readers and scripts see one format whoever wrote the line.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { jsonLine, jsonLines, levelValues, secretKeys, type LevelName } from '../../src/log/log-lines.js';
import { pinoOptions } from '../../src/log/logger.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Lines as the daemon writes them: events, numbers, lists, nested objects, and secrets at each depth. */
const cases: { level: LevelName; fields: Record<string, unknown>; message: string }[] = [
  { level: 'info', fields: { event: 'daemon.started', pid: 42, sessions: ['a', 'b'] }, message: 'started: a, b' },
  { level: 'warn', fields: { event: 'x', failures: 3, unset: undefined }, message: 'quote " backslash \\ newline \n' },
  { level: 'error', fields: { event: 'login.required', session: 'mycorp' }, message: 'sign in: ü ✓ \u0001' },
  {
    level: 'debug',
    fields: { event: 'sync.started', sessions: 'all', scan: { kind: 'full', of: [1, 2] } },
    message: 'm',
  },
  ...secretKeys.map((key) => ({
    level: 'info' as const,
    fields: { event: 'secret', [key]: 's0', one: { [key]: 's1', two: { [key]: 's2', three: { [key]: 's3' } } } },
    message: `the ${key} at each depth`,
  })),
  { level: 'info', fields: { event: 'list', items: [{ token: 'in a list' }, 'plain'] }, message: 'a list of objects' },
  { level: 'fatal', fields: {}, message: 'no fields' },
];

test('each line is the line pino writes with the same options, time aside', () => {
  const written: string[] = [];
  const log = pino(pinoOptions('trace'), { write: (line: string) => void written.push(line) });
  for (const c of cases) log[c.level](c.fields, c.message);
  const time = Date.parse('2026-01-05T09:00:00.123Z');
  cases.forEach((c, i) => {
    const ours = jsonLine(c.level, time, c.fields, c.message);
    const theirs = written[i]!.replace(/"time":"[^"]*"/, `"time":"${new Date(time).toISOString()}"`);
    assert.equal(ours, theirs.endsWith('\n') ? theirs : `${theirs}\n`);
  });
  // And no secret reaches the text at the depths censored.
  assert.doesNotMatch(written.join(''), /"s[012]"/);
});

test('the log file gets info and above whatever the level, and nothing below', (t) => {
  const dir = tempDir(t, 'sso-sync-lines-');
  const file = path.join(dir, 'sso-sync.log');
  const clock = new FakeClock(Date.parse('2026-01-05T09:00:00Z'));
  const log = jsonLines({ level: 'silent', fd: 2, clock, file: { path: file, maxBytes: 1_000_000, maxFiles: 2 } });
  for (const level of Object.keys(levelValues) as LevelName[]) log[level]({ event: `at.${level}` }, level);
  const events = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { event: string; time: string }).event);
  assert.deepEqual(events, ['at.info', 'at.warn', 'at.error', 'at.fatal']);
  assert.equal(
    (JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as { time: string }).time,
    '2026-01-05T09:00:00.000Z',
  );
});

test('an unknown level is refused at once', () => {
  assert.throws(() => jsonLines({ level: 'loud', fd: 2, clock: new FakeClock() }), /unknown log level "loud"/);
});

test('a value JSON cannot hold (a BigInt, a loop) is written as its text instead of ending the process', () => {
  const loop: Record<string, unknown> = { name: 'loop' };
  loop.self = loop;
  const line = jsonLine('warn', 0, { event: 'odd', big: 10n, loop }, 'still written');
  assert.deepEqual(JSON.parse(line), {
    level: 'warn',
    time: '1970-01-01T00:00:00.000Z',
    event: 'odd',
    big: '10',
    loop: '[object Object]',
    msg: 'still written',
  });
});

/**
 * The section `sso-sync init` adds: as `aws configure sso-session` writes it, outside sso-sync's blocks, above the
 * first one; every byte already in the file kept, its line endings and byte-order mark too.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { beginMarkerLine, bodyChecksum, bomBytes, endMarkerLine, scanConfig } from '../../src/core/config-text.js';
import { sessionSectionText, withSessionSection } from '../../src/init/session-section.js';
import { sessionsFromConfig } from '../../src/sync/sessions.js';
import { tempDir } from '../helpers/temp-dir.js';
import { readWithSdk } from '../core/hostile-input.js';

const session = { name: 'mycorp', startUrl: 'https://mycorp.awsapps.com/start', region: 'eu-west-1' };
const section =
  '[sso-session mycorp]\nsso_start_url = https://mycorp.awsapps.com/start\nsso_region = eu-west-1\n' +
  'sso_registration_scopes = sso:account:access\n';

test('a new file gets the section alone; a file without blocks gets it at the end after a blank line', () => {
  assert.equal(sessionSectionText(session), section);
  assert.equal(withSessionSection(undefined, session), section);
  assert.equal(withSessionSection('', session), section);
  assert.equal(withSessionSection('[default]\nregion = x\n', session), `[default]\nregion = x\n\n${section}`);
  assert.equal(withSessionSection('[default]\nregion = x\n\n', session), `[default]\nregion = x\n\n${section}`);
  // No final newline: the last line gets one, or the header would join it.
  assert.equal(withSessionSection('[default]\nregion = x', session), `[default]\nregion = x\n\n${section}`);
  assert.equal(
    withSessionSection(`${bomBytes}[default]\r\nregion = x\r\n`, session),
    `${bomBytes}[default]\r\nregion = x\r\n\r\n${section.replaceAll('\n', '\r\n')}`,
  );
});

test('with managed blocks, the section goes above the first, outside it', () => {
  const body = ['[profile a]', 'sso_session = other', 'sso_account_id = 111111111111', 'sso_role_name = R'];
  const block = [beginMarkerLine('other', bodyChecksum(body)), ...body, endMarkerLine('other')].join('\n') + '\n';
  const before = `# mine\n[default]\nregion = x\n\n${block}# after\n`;
  const after = withSessionSection(before, session);
  assert.equal(after, `# mine\n[default]\nregion = x\n\n${section}\n${block}# after\n`);
  const scan = scanConfig(after);
  assert.deepEqual(scan.damage, []);
  assert.equal(scan.blocks.length, 1);
  assert.equal(scan.blocks[0]!.declaredChecksum, scan.blocks[0]!.actualChecksum, 'the block is untouched');
  assert.deepEqual(sessionsFromConfig(scan.outside).sessions, [
    { name: 'mycorp', startUrl: session.startUrl, region: 'eu-west-1', scopes: ['sso:account:access'] },
  ]);
  assert.equal(withSessionSection(block, session), `${section}\n${block}`);
});

const userLine = fc.constantFrom(
  '[default]',
  '[profile mine]',
  'region = eu-west-1',
  'output=json',
  '# a comment',
  '; another',
  '',
  '   ',
  's3 =',
  '  max_concurrent_requests = 20',
  'note = caf\xc3\xa9 \xff',
);

test('property: every byte of the file is kept around the one section added, and both parsers read it', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'config');
  const body = ['[profile gen]', 'sso_session = other', 'sso_account_id = 111111111111', 'sso_role_name = R'];
  await fc.assert(
    fc.asyncProperty(
      fc.array(userLine, { maxLength: 8 }),
      fc.option(fc.array(userLine, { maxLength: 4 })),
      fc.constantFrom('\n', '\r\n'),
      fc.boolean(),
      fc.boolean(),
      async (head, tail, eol, bom, finalNewline) => {
        const block = [beginMarkerLine('other', bodyChecksum(body)), ...body, endMarkerLine('other')];
        const lines = [...head, ...(tail === null ? [] : [...block, ...tail])];
        let text = lines.join(eol);
        if (finalNewline && lines.length > 0) text += eol;
        const original = (bom ? bomBytes : '') + text;
        const result = withSessionSection(original, session);
        // What was there is there still, in two pieces around the insertion.
        const at = tail === null ? text.length : text.indexOf('# BEGIN sso-sync');
        const prefix = (bom ? bomBytes : '') + text.slice(0, at);
        const suffix = text.slice(at);
        assert.ok(result.startsWith(prefix) && result.endsWith(suffix));
        const middle = result.slice(prefix.length, result.length - suffix.length);
        // New lines end as the file's own do (`\n` in a file that has none yet).
        const nl = scanConfig(original).eol;
        assert.match(
          middle,
          new RegExp(`^(${nl})*${section.replaceAll('\n', nl).replace(/[.[\]]/g, '\\$&')}(${nl})?$`),
        );
        const scan = scanConfig(result);
        assert.deepEqual(scan.damage, []);
        assert.equal(scan.blocks.length, tail === null ? 0 : 1);
        assert.ok(sessionsFromConfig(scan.outside).sessions.some((s) => s.name === 'mycorp'));
        if (!bom) {
          // The AWS SDK's own reader (it cannot read a byte-order mark, as the AWS CLI cannot).
          writeFileSync(file, Buffer.from(result, 'latin1'));
          const read = (await readWithSdk(file))['sso-session.mycorp'];
          assert.deepEqual([read?.sso_start_url, read?.sso_region], [session.startUrl, 'eu-west-1']);
        }
      },
    ),
    { numRuns: 200 },
  );
});

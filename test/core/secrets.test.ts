/** Secret values in config text are masked wherever sso-sync shows config text to people. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isSecretKey, maskInValue, maskSecretValues, masked } from '../../src/core/secrets.js';

test('secret keys are recognised by the documented words; ordinary ones are not', () => {
  for (const k of [
    'aws_secret_access_key',
    'aws_session_token',
    'aws_security_token',
    'aws_access_key_id',
    'my_api_token',
    'Password',
    'credential_process',
    'private_key',
    'apikey',
    'API_KEY',
    'db_pass',
    'passwd',
    'pwd',
    'external_id',
    'ExternalId',
  ])
    assert.ok(isSecretKey(k), k);
  for (const k of [
    'region',
    'output',
    'sso_session',
    'sso_start_url',
    'sso_region',
    'sso_account_id',
    'sso_role_name',
    'sso_registration_scopes',
    'role_arn',
    'source_profile',
    's3',
    'duration_seconds',
  ])
    assert.ok(!isSecretKey(k), k);
});

test('masking keeps every line but the secret values, whatever the spacing and line ending', () => {
  const text =
    '[profile x]\r\naws_access_key_id = AKIAEXAMPLE\r\naws_secret_access_key=SECRET1\r\n' +
    '  aws_session_token :  SECRET2\r\nregion = eu-west-1\n';
  assert.equal(
    maskSecretValues(text),
    '[profile x]\r\naws_access_key_id = ********\r\naws_secret_access_key=********\r\n' +
      '  aws_session_token :  ********\r\nregion = eu-west-1\n',
  );
});

test('the secrets a hostile round found in dry-run context are masked', () => {
  const text = [
    '[profile legacy]',
    '# aws_secret_access_key = COMMENTED1',
    ';aws_session_token=COMMENTED2',
    '#   private_key: COMMENTED3',
    'private_key = PRIVATE1',
    'apikey = APIKEY1',
    'db_pass = DBPASS1',
    'pwd = PWD1',
    'external_id = EXTERNAL1',
    'sso_start_url = https://d-1234567890.awsapps.com/start?token=QUERY1&x=1',
    'endpoint_url = https://user:URLPASS1@proxy.example:8443/path',
    's3 =',
    '  api_token = NESTED1',
    '  max_concurrent_requests = 20',
    '# a plain comment stays',
    'region = eu-west-1',
    '',
  ].join('\n');
  const shown = maskSecretValues(text);
  for (const secret of [
    'COMMENTED1',
    'COMMENTED2',
    'COMMENTED3',
    'PRIVATE1',
    'APIKEY1',
    'DBPASS1',
    'PWD1',
    'EXTERNAL1',
    'QUERY1',
    'URLPASS1',
    'NESTED1',
  ])
    assert.ok(!shown.includes(secret), `${secret} is shown:\n${shown}`);
  assert.match(shown, /^# aws_secret_access_key = \*{8}$/m);
  assert.match(shown, /^sso_start_url = https:\/\/d-1234567890\.awsapps\.com\/start\?token=\*{8}&x=1$/m);
  assert.match(shown, /^endpoint_url = https:\/\/user:\*{8}@proxy\.example:8443\/path$/m);
  assert.match(shown, /^ {2}max_concurrent_requests = 20$/m);
  assert.match(shown, /^# a plain comment stays$/m);
  assert.match(shown, /^region = eu-west-1$/m);
});

test('values: query parameters named like secrets and URL passwords are masked, nothing else', () => {
  assert.equal(maskInValue('https://x/?a=1&api_key=K&b=2'), `https://x/?a=1&api_key=${masked}&b=2`);
  assert.equal(maskInValue('https://x/?page=2'), 'https://x/?page=2');
  assert.equal(maskInValue('http://me:pw@host'), `http://me:${masked}@host`);
  assert.equal(maskInValue('http://me@host'), 'http://me@host');
  assert.equal(maskInValue('eu-west-1'), 'eu-west-1');
});

/** A key name holding one of the documented words, with other letters around it, in any case. */
const secretKeyName = fc
  .tuple(
    fc.stringMatching(/^[a-z_]{0,8}$/),
    fc.constantFrom('secret', 'key', 'token', 'pass', 'pwd', 'credential', 'private'),
    fc.stringMatching(/^[a-z_]{0,8}$/),
    fc.boolean(),
  )
  .map(([a, word, b, upper]) => (upper ? `${a}${word}${b}`.toUpperCase() : `${a}${word}${b}`));

/** A secret value: a marker that cannot occur anywhere else in the generated text. */
const secretValue = fc.stringMatching(/^[A-Za-z0-9+]{4,30}$/).map((s) => `Z9SECRET${s}`);

test('property: a secret value never survives masking, as a setting or commented out, whatever the spacing', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          key: secretKeyName,
          value: secretValue,
          indent: fc.constantFrom('', '  ', '\t'),
          comment: fc.constantFrom('', '#', '# ', ';', '; '),
          sep: fc.constantFrom('=', ' = ', ':', ' : ', '=  '),
        }),
        { minLength: 1, maxLength: 8 },
      ),
      fc.constantFrom('\n', '\r\n'),
      (lines, eol) => {
        const plain = 'region = eu-west-1';
        const text = ['[profile p]', ...lines.map((l) => `${l.indent}${l.comment}${l.key}${l.sep}${l.value}`), plain]
          .join(eol)
          .concat(eol);
        const shown = maskSecretValues(text);
        for (const l of lines) assert.ok(!shown.includes(l.value), `${l.value} is shown in:\n${shown}`);
        // Every line is still there, in its place; only the values changed.
        const before = text.split(eol);
        const after = shown.split(eol);
        assert.equal(after.length, before.length);
        assert.equal(after[0], '[profile p]');
        assert.equal(after.at(-2), plain);
      },
    ),
  );
});

test('property: a secret in a URL query parameter or a URL password never survives masking', () => {
  fc.assert(
    fc.property(secretKeyName, secretValue, secretValue, (name, value, password) => {
      const line = `endpoint_url = https://user:${password}@host.example/p?x=1&${name.toLowerCase()}=${value}&y=2`;
      const shown = maskSecretValues(`${line}\n`);
      assert.ok(!shown.includes(value) && !shown.includes(password), shown);
      assert.ok(shown.includes('&y=2') && shown.includes('?x=1'), shown);
    }),
  );
});

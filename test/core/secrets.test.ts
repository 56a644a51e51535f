/** Secret values in config text are masked wherever sso-sync shows config text to people. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSecretKey, maskSecretValues } from '../../src/core/secrets.js';

test('secret keys are recognised; ordinary ones are not', () => {
  for (const k of [
    'aws_secret_access_key',
    'aws_session_token',
    'aws_security_token',
    'my_api_token',
    'Password',
    'credential_process',
  ])
    assert.ok(isSecretKey(k), k);
  for (const k of ['region', 'output', 'sso_session', 'sso_account_id', 'sso_role_name', 'aws_access_key_id', 's3'])
    assert.ok(!isSecretKey(k), k);
});

test('masking keeps every line but the secret values, whatever the spacing and line ending', () => {
  const text =
    '[profile x]\r\naws_access_key_id = AKIAEXAMPLE\r\naws_secret_access_key=SECRET1\r\n  aws_session_token :  SECRET2\r\nregion = eu-west-1\n# aws_session_token = in a comment\n';
  const shown = maskSecretValues(text);
  assert.ok(!shown.includes('SECRET1') && !shown.includes('SECRET2'));
  assert.equal(
    shown,
    '[profile x]\r\naws_access_key_id = AKIAEXAMPLE\r\naws_secret_access_key=********\r\n  aws_session_token :  ********\r\nregion = eu-west-1\n# aws_session_token = in a comment\n',
  );
});

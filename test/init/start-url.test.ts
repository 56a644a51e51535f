/** What `sso-sync init` takes for a start URL: what people paste from the address bar, made canonical. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStartUrl } from '../../src/init/start-url.js';

test('addresses pasted from the browser become the canonical start URL, with a session name to suggest', () => {
  const canonical = 'https://d-1234567890.awsapps.com/start';
  for (const pasted of [
    'https://d-1234567890.awsapps.com/start/#/',
    'https://d-1234567890.awsapps.com/start/#',
    'https://d-1234567890.awsapps.com/start/',
    'https://d-1234567890.awsapps.com/start',
    '  https://d-1234567890.awsapps.com/start#/  ',
    'https://d-1234567890.awsapps.com/start/#/console?account_id=111111111111&role_name=Admin',
    'https://d-1234567890.awsapps.com/start?state=abc',
    'https://D-1234567890.AWSAPPS.com/start',
    'https://d-1234567890.awsapps.com',
    'https://d-1234567890.awsapps.com/',
    'd-1234567890.awsapps.com/start',
    'http://d-1234567890.awsapps.com/start/#/',
    '"https://d-1234567890.awsapps.com/start"',
    '<https://d-1234567890.awsapps.com/start/#/>',
  ]) {
    assert.deepEqual(parseStartUrl(pasted), { url: canonical, name: 'd-1234567890' }, pasted);
  }
  assert.deepEqual(parseStartUrl('https://mycorp.awsapps.com/start/#/'), {
    url: 'https://mycorp.awsapps.com/start',
    name: 'mycorp',
  });
  assert.deepEqual(parseStartUrl('https://mycorp.awsapps.cn/start'), {
    url: 'https://mycorp.awsapps.cn/start',
    name: 'mycorp',
  });
});

test('regional portal addresses keep their form and name their region', () => {
  assert.deepEqual(parseStartUrl('https://ssoins-1111111111111111.eu-west-1.portal.amazonaws.com/#/'), {
    url: 'https://ssoins-1111111111111111.eu-west-1.portal.amazonaws.com',
    name: 'ssoins-1111111111111111',
    region: 'eu-west-1',
  });
  assert.deepEqual(parseStartUrl('https://ssoins-1111111111111111.portal.us-east-2.app.aws/'), {
    url: 'https://ssoins-1111111111111111.portal.us-east-2.app.aws',
    name: 'ssoins-1111111111111111',
    region: 'us-east-2',
  });
  assert.deepEqual(parseStartUrl('https://start.us-gov-home.awsapps.com/directory/d-9067aa66/#/'), {
    url: 'https://start.us-gov-home.awsapps.com/directory/d-9067aa66',
    name: 'd-9067aa66',
  });
});

test('a local emulator on the loopback is taken over http, its path kept', () => {
  assert.deepEqual(parseStartUrl('http://127.0.0.1:4567/start/#/'), {
    url: 'http://127.0.0.1:4567/start',
    name: 'local',
  });
  assert.deepEqual(parseStartUrl('http://localhost:4567'), { url: 'http://localhost:4567', name: 'local' });
});

test('what cannot be a start URL is refused with what a good one looks like', () => {
  const cases: [string, RegExp][] = [
    ['', /no start URL was given/],
    ['   ', /no start URL was given/],
    ['https://sso.example.com/start', /sso\.example\.com is not an AWS access portal.*copy the address you arrive at/],
    ['https://awsapps.com/start', /is not an AWS access portal/],
    ['https://d-123.awsapps.com.evil.example/start', /is not an AWS access portal/],
    ['ftp://d-1234567890.awsapps.com/start', /ftp is not a web address's scheme/],
    ['https://user:pw@d-1234567890.awsapps.com/start', /no user name or password/],
    ['https://d-1234567890.awsapps.com/start extra', /has blanks inside/],
    ['http://[bad', /is not a web address/],
    ['eu-west-1', /is not an AWS access portal/],
  ];
  for (const [input, problem] of cases) {
    const parsed = parseStartUrl(input);
    assert.ok('problem' in parsed, `${JSON.stringify(input)} is refused`);
    assert.match(parsed.problem, problem, input);
    assert.match(parsed.problem, /A start URL looks like https:\/\/d-1234567890\.awsapps\.com\/start/, input);
  }
});

test('a sentence around a pasted address is dropped; a path that is no portal path is refused', () => {
  for (const pasted of [
    'https://mycorp.awsapps.com/start.',
    'https://mycorp.awsapps.com/start,',
    '(https://mycorp.awsapps.com/start)',
    'https://mycorp.awsapps.com/START',
  ])
    assert.deepEqual(parseStartUrl(pasted), { url: 'https://mycorp.awsapps.com/start', name: 'mycorp' }, pasted);
  for (const typed of ['https://mycorp.awsapps.com/startx', 'https://mycorp.awsapps.com/login'])
    assert.match(
      (parseStartUrl(typed) as { problem: string }).problem,
      /is not the path of an access portal's start URL \(\/start\)\. A start URL looks like/,
      typed,
    );
});

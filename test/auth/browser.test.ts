/** Which browser command `login` starts, if any: $BROWSER first; nothing over SSH without a display. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserCommand } from '../../src/auth/browser.js';

test('the browser command for each platform, and none where there is no display', () => {
  assert.deepEqual(browserCommand({ BROWSER: '/usr/bin/firefox' }, 'linux'), ['/usr/bin/firefox']);
  assert.deepEqual(browserCommand({ DISPLAY: ':0' }, 'linux'), ['xdg-open']);
  assert.deepEqual(browserCommand({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux'), ['xdg-open']);
  assert.equal(browserCommand({ SSH_CONNECTION: '10.0.0.1 22 10.0.0.2 22' }, 'linux'), undefined);
  assert.equal(browserCommand({}, 'linux'), undefined);
  assert.deepEqual(browserCommand({}, 'darwin'), ['open']);
  assert.equal(browserCommand({ SSH_CONNECTION: 'x' }, 'darwin'), undefined);
  assert.deepEqual(browserCommand({}, 'win32'), ['rundll32', 'url.dll,FileProtocolHandler']);
});

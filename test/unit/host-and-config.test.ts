import assert from 'node:assert/strict';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { test } from 'node:test';
import { allowedHostHeader } from '../../electron/engine/server/host-check';
import { defaultDataDir } from '../../electron/engine/config';

test('loopback servers accept only loopback Host headers', () => {
  assert.equal(allowedHostHeader('127.0.0.1:8741', '127.0.0.1'), true);
  assert.equal(allowedHostHeader('localhost:8741', '127.0.0.1'), true);
  assert.equal(allowedHostHeader('[::1]:8741', '127.0.0.1'), true);
  assert.equal(allowedHostHeader('evil.example:8741', '127.0.0.1'), false);
  assert.equal(allowedHostHeader('127.0.0.1.evil.example', '127.0.0.1'), false);
  assert.equal(allowedHostHeader(undefined, '127.0.0.1'), false);
  assert.equal(allowedHostHeader('my-laptop.lan:8741', '0.0.0.0'), true, 'binding all interfaces is an explicit choice');
});

test('the data dir is WHITTLE_HOME, else the platform app data dir', () => {
  assert.equal(defaultDataDir({ WHITTLE_HOME: '/data/w' }, 'linux'), '/data/w');
  assert.equal(defaultDataDir({}, 'linux'), join(homedir(), '.local', 'share', 'whittle'));
  assert.equal(defaultDataDir({ XDG_DATA_HOME: '/xdg' }, 'linux'), join('/xdg', 'whittle'));
  assert.equal(defaultDataDir({}, 'darwin'), join(homedir(), 'Library', 'Application Support', 'Whittle'));
  assert.equal(defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32'), join('C:\\Users\\u\\AppData\\Roaming', 'Whittle'));
});

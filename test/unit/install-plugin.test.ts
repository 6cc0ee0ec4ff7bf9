/** userPluginDir: where `install-plugin` puts the plugin on each platform (docker/cli `getPluginDirs`). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { installDockerPlugin, userPluginDir } from '../../src/app/plugin/install.js';
import { UsageError } from '../../src/core/errors.js';

describe('userPluginDir', () => {
  it('Linux/macOS: $DOCKER_CONFIG/cli-plugins, else ~/.docker/cli-plugins', () => {
    assert.equal(userPluginDir({ env: {}, homeDir: '/home/u' }, 'linux'), '/home/u/.docker/cli-plugins');
    assert.equal(userPluginDir({ env: { DOCKER_CONFIG: '/etc/dc' }, homeDir: '/home/u' }, 'darwin'), '/etc/dc/cli-plugins');
    assert.equal(userPluginDir({ env: { DOCKER_CONFIG: '' }, homeDir: '/home/u' }, 'linux'), '/home/u/.docker/cli-plugins');
  });
  it('Windows: %USERPROFILE%\\.docker\\cli-plugins, DOCKER_CONFIG first', () => {
    assert.equal(userPluginDir({ env: { USERPROFILE: 'C:\\Users\\u' }, homeDir: 'C:\\x' }, 'win32'), 'C:\\Users\\u\\.docker\\cli-plugins');
    assert.equal(userPluginDir({ env: { DOCKER_CONFIG: 'D:\\dc', USERPROFILE: 'C:\\Users\\u' }, homeDir: 'C:\\x' }, 'win32'), 'D:\\dc\\cli-plugins');
  });
});

describe('installDockerPlugin refuses what it cannot install', () => {
  const ctx = { env: { DOCKER_CONFIG: '/nonexistent-vaultmcp-test' }, homeDir: '/nonexistent' };
  it('a development run (tsx) has nothing to install: usage error naming npm run install-plugin', async () => {
    await assert.rejects(installDockerPlugin(ctx, { source: { kind: 'other' }, version: '1', force: false, platform: 'linux' }), (e: unknown) => e instanceof UsageError && /npm run install-plugin/.test(e.hint ?? ''));
  });
  it('the npm package on Windows: usage error pointing at the .exe release', async () => {
    await assert.rejects(
      installDockerPlugin(ctx, { source: { kind: 'node', nodePath: 'node', binScript: 'x' }, version: '1', force: false, platform: 'win32' }),
      (e: unknown) => e instanceof UsageError && /windows-x64\.zip/.test(e.hint ?? ''),
    );
  });
});

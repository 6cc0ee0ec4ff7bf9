/** The Node version the README names is enough for every package `npm ci` installs (issue 10 §12): no EBADENGINE. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import semver from 'semver';

const root = path.resolve(import.meta.dirname, '../..');

it("README's Node version satisfies the engines of every package in package-lock.json", () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## Install'));
  const stated = /Node (\d+)(?:\.(\d+))?\+/.exec(quickStart);
  assert.ok(stated, 'the Quick start names a Node version');
  const version = `${stated[1]}.${stated[2] ?? 0}.0`;
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };
  const unmet = Object.entries(lock.packages)
    .filter(([, p]) => p.engines && !Array.isArray(p.engines) && p.engines.node && !semver.satisfies(version, p.engines.node))
    .map(([name, p]) => `${name || 'docker-vaultmcp'} needs node ${(p.engines as { node: string }).node}`);
  assert.deepEqual(unmet, [], `README says Node ${stated[0].slice(5)}`);
});

/**
 * The built-in service templates (configs/*.json) the launcher runs: each one validates, resolves for its
 * default and every known environment, names the variables its MCP server really reads (checked against the
 * package source on the npm registry, see docs/run.md "Built-in templates") and never puts a secret in argv.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { knownEnvironments, loadService, selectEnvironment } from '../../src/core/config/services/index.js';
import { BUILTIN_TEMPLATES } from '../../src/core/config/services/templates.js';

const CONFIGS = path.resolve(import.meta.dirname, '../../configs');
// An empty HOME and system dir, so only the built-ins are found.
const ctx = { env: { VAULTMCP_SYSTEM_CONFIG_DIR: '/nonexistent-vaultmcp' }, homeDir: '/nonexistent-home', cwd: '/' };

/** Variables each server reads, from its published source (npm pack + grep process.env). */
const EXPECTED: Record<string, { secrets: string[]; pkg: string }> = {
  github: { secrets: ['GITHUB_PERSONAL_ACCESS_TOKEN'], pkg: '@modelcontextprotocol/server-github' },
  gitlab: { secrets: ['GITLAB_PERSONAL_ACCESS_TOKEN'], pkg: '@modelcontextprotocol/server-gitlab' },
  slack: { secrets: ['SLACK_BOT_TOKEN', 'SLACK_TEAM_ID'], pkg: '@modelcontextprotocol/server-slack' },
  'brave-search': { secrets: ['BRAVE_API_KEY'], pkg: '@brave/brave-search-mcp-server' },
  postgres: { secrets: ['DSN'], pkg: '@bytebase/dbhub' },
  filesystem: { secrets: [], pkg: '@modelcontextprotocol/server-filesystem' },
  everything: { secrets: ['EVERYTHING_API_KEY'], pkg: '@modelcontextprotocol/server-everything' },
  // issue 11 (npm pack, then the source: notion-mcp-server 2.5.2 bin/cli.mjs, mcp-linear 1.4.3 utils/config.js,
  // sentry mcp-server 0.39.0 parse-*.js, stripe mcp 0.3.3 cli.js, mcp-server-supabase 0.13.0 cli.js,
  // mcp-server-cloudflare 0.2.0 index.js, mcp-server-atlassian-jira 3.3.0 utils/transport.util.js)
  notion: { secrets: ['NOTION_TOKEN'], pkg: '@notionhq/notion-mcp-server' },
  linear: { secrets: ['LINEAR_API_TOKEN'], pkg: '@tacticlaunch/mcp-linear' },
  sentry: { secrets: ['SENTRY_ACCESS_TOKEN'], pkg: '@sentry/mcp-server' },
  stripe: { secrets: ['STRIPE_SECRET_KEY'], pkg: '@stripe/mcp' },
  supabase: { secrets: ['SUPABASE_ACCESS_TOKEN'], pkg: '@supabase/mcp-server-supabase' },
  cloudflare: { secrets: ['CLOUDFLARE_API_TOKEN'], pkg: '@cloudflare/mcp-server-cloudflare' },
  atlassian: { secrets: ['ATLASSIAN_API_TOKEN', 'ATLASSIAN_SITE_NAME', 'ATLASSIAN_USER_EMAIL'], pkg: '@aashari/mcp-server-atlassian-jira' },
};

describe('built-in templates', () => {
  it('every configs/*.json is embedded, and only those', () => {
    const files = readdirSync(CONFIGS).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
    assert.deepEqual(Object.keys(BUILTIN_TEMPLATES).sort(), files);
    assert.deepEqual(Object.keys(EXPECTED).sort(), files);
  });

  for (const name of Object.keys(EXPECTED)) {
    it(`${name}: validates, runs ${EXPECTED[name]!.pkg} with the variables it reads`, async () => {
      const service = await loadService(name, ctx);
      assert.equal(service.source, 'builtin');
      assert.ok(service.description, 'has a description');
      assert.deepEqual(Object.keys(service.secrets).sort(), [...EXPECTED[name]!.secrets].sort());
      assert.ok(service.target_command.includes(EXPECTED[name]!.pkg), service.target_command.join(' '));
      for (const env of ['default', ...knownEnvironments(service)]) {
        const sel = selectEnvironment(service, env);
        assert.deepEqual(sel.warnings, []);
        for (const spec of sel.specs) {
          // a reference is a name or OCID, never a value, and no argv element is a reference to a secret
          assert.ok(!service.target_command.some((a) => a.includes(spec.reference)), `${spec.envVar} in argv`);
        }
      }
    });
  }

  it('postgres passes the connection URL in the environment, not argv', async () => {
    const service = await loadService('postgres', ctx);
    assert.ok(!service.target_command.some((a) => /postgres(ql)?:\/\//.test(a)));
    assert.ok(!service.target_command.includes('@modelcontextprotocol/server-postgres'), 'that server takes the URL as argv');
  });
});

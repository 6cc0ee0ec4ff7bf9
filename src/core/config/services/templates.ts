/**
 * Built-in service templates, embedded in the binary (static JSON imports). Each names the environment
 * variables its MCP server really reads (checked against the package source on the npm registry).
 */
import brave from '../../../../configs/brave-search.json' with { type: 'json' };
import everything from '../../../../configs/everything.json' with { type: 'json' };
import filesystem from '../../../../configs/filesystem.json' with { type: 'json' };
import github from '../../../../configs/github.json' with { type: 'json' };
import gitlab from '../../../../configs/gitlab.json' with { type: 'json' };
import postgres from '../../../../configs/postgres.json' with { type: 'json' };
import slack from '../../../../configs/slack.json' with { type: 'json' };

export const BUILTIN_TEMPLATES: Readonly<Record<string, unknown>> = {
  'brave-search': brave,
  everything,
  filesystem,
  github,
  gitlab,
  postgres,
  slack,
};

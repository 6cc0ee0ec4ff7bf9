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
// issue 11: more servers whose credentials are environment variables (names from each package's source)
import atlassian from '../../../../configs/atlassian.json' with { type: 'json' };
import cloudflare from '../../../../configs/cloudflare.json' with { type: 'json' };
import linear from '../../../../configs/linear.json' with { type: 'json' };
import notion from '../../../../configs/notion.json' with { type: 'json' };
import sentry from '../../../../configs/sentry.json' with { type: 'json' };
import stripe from '../../../../configs/stripe.json' with { type: 'json' };
import supabase from '../../../../configs/supabase.json' with { type: 'json' };

export const BUILTIN_TEMPLATES: Readonly<Record<string, unknown>> = {
  'brave-search': brave,
  everything,
  filesystem,
  github,
  gitlab,
  postgres,
  slack,
  atlassian,
  cloudflare,
  linear,
  notion,
  sentry,
  stripe,
  supabase,
};

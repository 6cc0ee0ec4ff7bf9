import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';

/**
 * `docker vaultmcp gateway catalog add SERVICE [--url URL] [--token-secret REF]`: a `type: remote` entry for a
 * `serve` endpoint in ~/.docker/mcp/catalogs/vaultmcp.yaml, plus the gateway-map entry for its bearer token
 * (src/app/gateway/catalog.ts). Writes references and `${VAR}` placeholders only, never the token.
 */
export default class GatewayCatalogAdd extends BaseCommand {
  static summary = 'Add a `type: remote` gateway catalog entry for a server run by `docker vaultmcp serve`';
  static description =
    'Writes SERVICE into ~/.docker/mcp/catalogs/vaultmcp.yaml with its URL and an Authorization header expanded from ' +
    'the declared secret SERVICE.bearer_token, and maps that secret to the token\'s vault secret in the gateway map, ' +
    'so `docker vaultmcp gateway run -- --servers SERVICE --catalog ~/.docker/mcp/catalogs/vaultmcp.yaml` hands the ' +
    'gateway the token. For http:// or loopback URLs the gateway needs DOCKER_MCP_ALLOW_INSECURE_REMOTE_URLS=1.';
  static examples = [
    '<%= config.bin %> gateway catalog add github',
    '<%= config.bin %> gateway catalog add github --url https://mcp.example.com/mcp --token-secret github-mcp-token',
  ];
  static usage = 'gateway catalog add SERVICE [--url URL] [--token-secret REF] [--map FILE] [--json]';
  static args = { service: Args.string({ description: 'the service `serve` runs (becomes the catalog server name)', required: true }) };
  static flags = {
    url: Flags.string({ description: 'the served endpoint (default http://127.0.0.1:8931/mcp)', helpValue: 'URL' }),
    'token-secret': Flags.string({ description: 'vault secret with the bearer token (default: vaultmcp-serve-SERVICE, as serve)', helpValue: 'REF' }),
    map: Flags.string({ description: 'gateway map file (default: ~/.config/oci-vault-mcp/gateway.yaml)', helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(GatewayCatalogAdd);
    const { addCatalogEntry } = await import('../../../../app/gateway/catalog.js');
    const r = await addCatalogEntry(this.ctx, { service: args.service, url: flags.url, tokenSecret: flags['token-secret'], map: flags.map });
    if (flags.json) {
      this.out.json(r);
      return;
    }
    this.out.result(
      [
        `Added ${r.server} (${r.url}) to ${r.catalog}`,
        `Mapped ${r.secretName} → ${r.tokenSecret} in ${r.map}`,
        `Run: ${r.needsInsecureRemote ? 'DOCKER_MCP_ALLOW_INSECURE_REMOTE_URLS=1 ' : ''}docker vaultmcp gateway run -- --servers ${r.server} --catalog ${r.catalog}`,
      ].join('\n'),
    );
    if (r.needsInsecureRemote) this.out.warn('the gateway refuses http://, loopback and private URLs unless DOCKER_MCP_ALLOW_INSECURE_REMOTE_URLS=1 is in its environment');
  }
}

import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';

/**
 * `docker-vaultmcp install-plugin [--force]`: installs this program as the Docker CLI plugin in
 * `${DOCKER_CONFIG:-~/.docker}/cli-plugins` (`%USERPROFILE%\.docker\cli-plugins` on Windows), so a downloaded
 * release needs no npm. Thin over app/plugin/install.ts. Exit 0 installed (or already there); 2 when the file
 * there is not ours and --force is missing, or nothing is installable; 1 when writing or the check fails.
 */
export default class InstallPlugin extends BaseCommand {
  static summary = 'Install this executable as the Docker CLI plugin (docker vaultmcp)';
  static description =
    'Copies this executable to ${DOCKER_CONFIG:-~/.docker}/cli-plugins/docker-vaultmcp (on Windows ' +
    '%USERPROFILE%\\.docker\\cli-plugins\\docker-vaultmcp.exe), mode 0755, atomically, then checks that it answers ' +
    "docker's plugin metadata probe. A docker-vaultmcp from someone else is only replaced with --force. From the " +
    'npm package (Linux, macOS) it writes a small launcher that runs the package with this Node instead.';
  static examples = ['<%= config.bin %> install-plugin', 'DOCKER_CONFIG=/etc/docker-alt <%= config.bin %> install-plugin --force'];
  static flags = {
    force: Flags.boolean({ description: 'replace a docker-vaultmcp that is not ours', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(InstallPlugin);
    const path = await import('node:path');
    const { fileURLToPath } = await import('node:url');
    const { runningAsCompiledBinary } = await import('../../app/setup/plugin-install.js');
    const { installDockerPlugin } = await import('../../app/plugin/install.js');
    type Source = import('../../app/plugin/install.js').PluginSource;
    let source: Source = { kind: 'other' };
    if (runningAsCompiledBinary()) source = { kind: 'binary', execPath: process.execPath };
    else {
      // The npm package runs the Node bundle dist/node/main.js (one file), started by bin/docker-vaultmcp.js.
      const here = fileURLToPath(import.meta.url);
      if (path.basename(here) === 'main.js' && path.basename(path.dirname(here)) === 'node' && path.basename(path.dirname(path.dirname(here))) === 'dist') {
        source = { kind: 'node', nodePath: process.execPath, binScript: path.resolve(here, '../../../bin/docker-vaultmcp.js') };
      }
    }
    const r = await installDockerPlugin(this.ctx, { source, version: this.config.version, force: flags.force, platform: process.platform });
    if (flags.json) {
      this.out.json(r);
      return;
    }
    if (r.action === 'unchanged') this.ctx.stdout.write(`docker-vaultmcp ${this.config.version} is already installed as ${r.target}\n`);
    else {
      const was = r.previous?.version ? ` (replaced ${r.previous.vendor === 'docker vaultmcp' ? 'version' : `${r.previous.vendor || 'unknown vendor'}`} ${r.previous.version})` : r.action === 'replaced' ? ' (replaced the file there)' : '';
      this.ctx.stdout.write(`installed docker-vaultmcp ${this.config.version} as ${r.target}${was}\n`);
    }
    this.ctx.stdout.write('check it with: docker vaultmcp --version\n');
  }
}

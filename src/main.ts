#!/usr/bin/env node
/**
 * Entry point of `docker-vaultmcp`. Answers the docker metadata probe without loading anything else, turns
 * docker's argv into ours, then lazily imports the CLI.
 */
import pkg from '../package.json' with { type: 'json' };
import {
  invokedByDocker,
  normalizeArgv,
  pluginMetadata,
  rewriteAliases,
  watchDockerSocket,
} from './docker-plugin.js';

// oci-common calls url.parse (DEP0169) and would print a deprecation warning on stderr at every run.
process.noDeprecation = true;

const rawArgv = process.argv.slice(2);
if (rawArgv[0] === 'docker-cli-plugin-metadata') {
  // console.log, not process.stdout.write: in the Bun binary the first process.stdout access builds Node's
  // stream machinery, which alone costs ~20 ms, on a path docker runs before every plugin call.
  console.log(pluginMetadata(pkg.version));
} else {
  const { applyColorPreference } = await import('./cli/color.js');
  const argv = applyColorPreference(rewriteAliases(invokedByDocker(process.env) ? normalizeArgv(rawArgv) : rawArgv), process.env);
  if (argv.length === 1 && argv[0] === '--version') {
    // Same line oclif prints (its config.userAgent), without loading oclif (~50 ms): `docker vaultmcp --version`
    // is what install checks and health probes run.
    console.log(`docker-vaultmcp/${pkg.version} ${process.platform}-${process.arch} node-${process.version}`);
    process.exit(0);
  }
  if (argv[0] === '__complete') {
    // Shell completion (docker's protocol, and our own shell scripts), without starting oclif: commands, flags,
    // services, environments, secret names from the cache.
    const [{ COMMANDS }, { complete, formatCompletion, processSources }, { processContext }] = await Promise.all([
      import('./cli/command-table.js'),
      import('./cli/completion.js'),
      import('./core/context.js'),
    ]);
    const answer = formatCompletion(await complete(argv.slice(1), COMMANDS, processSources(processContext())));
    await new Promise((done) => process.stdout.write(answer, done));
    process.exit(0);
  }
  if (invokedByDocker(process.env)) {
    watchDockerSocket(process.env, () => {
      // Docker closed our socket: it was asked to stop. Let the command's SIGTERM handler (run) forward it.
      if (process.listenerCount('SIGTERM') > 0) process.emit('SIGTERM', 'SIGTERM');
      else process.exit(130);
    });
  }
  if (argv[0] === 'run') {
    // MCP clients start `run` for every session: plain invocations skip oclif (~50 ms); help and errors use it.
    const { fastRun } = await import('./cli/fast-run.js');
    await fastRun(argv.slice(1)); // exits the process when it handled the call
  }
  const { runCli } = await import('./cli/index.js');
  await runCli(argv, pkg.version);
}

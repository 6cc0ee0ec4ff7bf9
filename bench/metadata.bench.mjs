#!/usr/bin/env node
/**
 * How fast docker can talk to the plugin. The docker CLI runs `docker-vaultmcp docker-cli-plugin-metadata`
 * before every `docker vaultmcp …` call and for every plugin on `docker --help` / `docker info`.
 * Measures, round-robin (median of 40 runs each after 3 warm-ups):
 *   - `dist/docker-vaultmcp docker-cli-plugin-metadata`            target ≤ 25 ms
 *   - a Bun hello-world binary built with the same flags           the floor of any Bun binary
 *   - `dist/docker-vaultmcp --version`                             loads oclif and the command table
 *   - `docker vaultmcp --version` through the real docker CLI with a temp DOCKER_CONFIG (docker execs us twice)
 *   - `docker --version`                                           the docker CLI's own start-up
 *   - `/bin/true`                                                  what spawning anything costs here
 * plus, when hyperfine is installed, the probe and the floor timed by `hyperfine -N` (no Node spawn overhead).
 * Usage: node bench/metadata.bench.mjs [--runs=N]
 */
import { bunFloorBinary, builtBinary, hyperfineCommand, report, tempDockerConfig, timeInterleaved } from './lib.mjs';

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 40);
const bin = builtBinary();
const dc = tempDockerConfig(bin);
try {
  const rows = await timeInterleaved(
    [
      { name: 'metadata probe (binary)', cmd: bin, args: ['docker-cli-plugin-metadata'], targetMs: 25 },
      { name: 'Bun hello-world binary (floor)', cmd: bunFloorBinary(), args: [] },
      { name: '--version (binary)', cmd: bin, args: ['--version'] },
      { name: 'docker vaultmcp --version', cmd: 'docker', args: ['vaultmcp', '--version'], env: dc.env },
      { name: 'docker --version (baseline)', cmd: 'docker', args: ['--version'], env: dc.env },
      { name: '/bin/true (spawn cost of this harness)', cmd: '/bin/true', args: [] },
    ],
    { runs },
  );
  // The same probe timed by hyperfine -N (no node spawn overhead), comparable with the packaging study.
  const hf = hyperfineCommand('metadata probe (binary)', bin, ['docker-cli-plugin-metadata'], { runs, targetMs: 25, note: 'hyperfine -N' });
  if (hf) rows.push(hf);
  const hfFloor = hyperfineCommand('Bun hello-world binary (floor)', bunFloorBinary(), [], { runs, note: 'hyperfine -N' });
  if (hfFloor) rows.push(hfFloor);
  report(rows);
} finally {
  dc.cleanup();
}

/**
 * The `bun build --compile` of scripts/build-binary.mjs, through Bun's JavaScript API (run with `bun`, never
 * directly): the same options as the CLI flags documented there, plus one bundler plugin, {@link lazySdkModules}.
 *
 *   bun scripts/bun-compile.mjs '{"outfile":"…","target":"bun-linux-arm64","jitPolicy":10}'
 *
 * Exit 0 with the executable at `outfile`; 1 with Bun's messages on stderr.
 */

import { readFileSync } from 'node:fs';

/**
 * Modules the OCI SDK (oci-common) requires when it loads but uses only inside auth providers a launch may never
 * construct: `https` and `tls` (the OKE workload-identity federation client), `jsonwebtoken` (session and
 * principal tokens). Loading them costs ~4 ms of a cold launch (bench/RESULTS.md "Launch at the floor"). In the
 * SDK's files each `require("<name>")` becomes a stand-in that requires the real module on first use (a property
 * read, `new`, `in`), so a provider that needs one gets it then, unchanged; nothing else is rewritten.
 * The stand-in answers `__esModule` itself (undefined, as these CommonJS modules and Node built-ins do) so that
 * TypeScript's `__importDefault` does not load the module at once.
 */
export const LAZY_SDK_MODULES = ['https', 'tls', 'jsonwebtoken'];

const SDK_FILES = /[\\/]node_modules[\\/]oci-common[\\/].*\.js$/;
const LAZY_REQUIRE = new RegExp(`\\brequire\\("(${LAZY_SDK_MODULES.join('|')})"\\)`, 'g');
const STAND_IN = `function __vaultmcpLazyModule(load) {
  let real;
  const get = () => (real ??= load());
  return new Proxy({}, {
    get: (_, key) => (key === '__esModule' ? undefined : get()[key]),
    has: (_, key) => key in get(),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(get(), key);
      return d && { ...d, configurable: true };
    },
  });
}
`;

/** The bundler plugin; `stats.deferred` counts the requires it made lazy (the build fails when it found none). */
export function lazySdkModules(stats) {
  return {
    name: 'vaultmcp-lazy-sdk-modules',
    setup(build) {
      // synchronous: an asynchronous onLoad lets the order in which modules finish loading vary from build to build,
      // and with it the bytes of the executable (scripts/check-reproducible.mjs)
      build.onLoad({ filter: SDK_FILES }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        let deferred = 0;
        const contents = source.replace(LAZY_REQUIRE, (_, name) => {
          deferred++;
          return `__vaultmcpLazyModule(() => require(${JSON.stringify(name)}))`;
        });
        stats.deferred += deferred;
        return { contents: deferred > 0 ? STAND_IN + contents : source, loader: 'js' };
      });
    },
  };
}

if (import.meta.main) {
  const options = JSON.parse(process.argv[2] ?? '{}');
  const stats = { deferred: 0 };
  const result = await Bun.build({
    entrypoints: ['src/main.ts'],
    compile: {
      outfile: options.outfile,
      ...(options.target ? { target: options.target } : {}),
      autoloadDotenv: false,
      autoloadBunfig: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false,
      jitPolicy: options.jitPolicy,
    },
    minify: true,
    bytecode: true,
    format: 'esm',
    splitting: true,
    // Bun inlines a CommonJS module's __dirname as the build machine's absolute path (oclif has a few): a Linux path
    // in a Windows binary, and a byte difference between two build directories. Inside the executable every module
    // lives under /$bunfs/root, so that is what __dirname is made to say.
    define: { __dirname: '"/$bunfs/root"' },
    plugins: [lazySdkModules(stats)],
  });
  for (const log of result.logs) console.error(String(log));
  if (!result.success) process.exit(1);
  if (stats.deferred === 0) {
    console.error(`bun-compile: no require of ${LAZY_SDK_MODULES.join(', ')} found in oci-common: the SDK changed; update scripts/bun-compile.mjs`);
    process.exit(1);
  }
}

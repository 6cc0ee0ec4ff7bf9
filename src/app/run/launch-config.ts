import type { AppContext } from '../../core/context.js';
import type { LaunchConfig, SnapshotInputs, SnapshotKeySource, SourceIdentity } from '../../core/config/launch-snapshot.js';
import type { LoadedSettings } from '../../core/config/settings/index.js';
import type { ServiceDefinition } from '../../core/config/services/index.js';

/**
 * Where a launch's configuration (settings + service definition) comes from: the launch snapshot when it is valid
 * (core/config/launch-snapshot.ts), else the files, loaded and validated concurrently (a settings error still wins
 * over a service error, as if loaded one after the other).
 */

/** What snapshots need from outside: who we are, and how to read the cache key from the keychain. */
export interface SnapshotAccess {
  /** Our executable and version (a snapshot is only used by the build that wrote it). */
  executable: { path: string; version: string };
  /** Reads the cache key's base64 from the OS keychain (undefined when it has none); may throw. */
  readKeychainKey: () => Promise<string | undefined>;
}

/** Called once the settings are known; `known.keychainAnswer` is the cache key's read when one was made already. */
export type OnSettings = (settings: LoadedSettings, known?: { keychainAnswer?: Promise<string | undefined> }) => void;

/** A launch's configuration and how it was obtained. */
export interface LoadedLaunchConfig extends LaunchConfig {
  /** True when it came from the snapshot. */
  fromSnapshot: boolean;
  /**
   * Writes the snapshot for the next launch (only when loaded from the files and the cache key is known: from
   * VAULTMCP_CACHE_KEY, or the keychain's answer given); never throws.
   */
  remember?: (keychainAnswer: Promise<string | undefined> | undefined) => Promise<void>;
}

/**
 * Loads the configuration of a launch.
 * @param request.service name or path; `config` the `--config FILE`; `command` set for `run -- COMMAND` (adhoc)
 * @param options.settings already loaded settings (doctor, rotate --verify): no snapshot, only the service is loaded
 * @param options.onSettings called as soon as the settings are known, before the service is (with the keychain's
 *   answer for the cache key when the snapshot read it)
 * @param options.snapshot enables the launch snapshot (the CLI's `run`); without it the files are always read
 * @throws ConfigError/UsageError (exit 2) for settings or service errors
 */
export async function loadLaunchConfig(
  ctx: AppContext,
  request: { service: string; config?: string; command?: readonly string[]; secrets?: readonly string[]; envFile?: string },
  options: { settings?: LoadedSettings; onSettings?: OnSettings; snapshot?: SnapshotAccess; serviceLoader: () => Promise<ServiceDefinition> },
): Promise<LoadedLaunchConfig> {
  const useSnapshot = options.snapshot && !options.settings && !request.command && !request.secrets?.length && !request.envFile;
  let inputs: SnapshotInputs | undefined;
  let before: SourceIdentity[] | undefined;
  let snap: typeof import('../../core/config/launch-snapshot.js') | undefined;
  /** The keychain's answer when the snapshot needed it (the cache reuses it rather than asking again). */
  let keychainAnswer: Promise<string | undefined> | undefined;
  if (useSnapshot) {
    snap = await import('../../core/config/launch-snapshot.js');
    inputs = snap.snapshotInputs(ctx, { service: request.service, configFile: request.config }, options.snapshot!.executable);
    const found = await fromSnapshot(ctx, snap, inputs, options.snapshot!);
    keychainAnswer = found?.keychainAnswer;
    if (found?.config) {
      options.onSettings?.(found.config.loaded, keychainAnswer ? { keychainAnswer } : undefined);
      return { ...found.config, fromSnapshot: true };
    }
    before = snap.sourceIdentities(inputs);
  }

  const { loadSettings } = await import('../../core/config/settings/index.js');
  const settingsLoading = options.settings ? Promise.resolve(options.settings) : loadSettings(ctx, { configFile: request.config });
  const serviceLoading = options.serviceLoader();
  serviceLoading.catch(() => {}); // reported below, after any settings error
  const loaded = await settingsLoading;
  options.onSettings?.(loaded, keychainAnswer ? { keychainAnswer } : undefined);
  const service = await serviceLoading;
  const config: LaunchConfig = { loaded, service };
  if (!snap || !inputs || !before) return { ...config, fromSnapshot: false };
  const [writer, idsBefore, snapInputs, access] = [snap, before, inputs, options.snapshot!];
  return {
    ...config,
    fromSnapshot: false,
    async remember(keychainAnswer) {
      try {
        const key = await cacheKeyFor(ctx, loaded, keychainAnswer, access);
        if (key) await writer.writeLaunchSnapshot(snapInputs, idsBefore, config, key.key, key.source);
      } catch {
        // only the next launch's speed is at stake
      }
    },
  };
}

/**
 * The snapshot's configuration, when it is valid and its cache key can be read; and the keychain's answer whenever
 * the keychain was asked (even when that key did not open the snapshot).
 */
async function fromSnapshot(
  ctx: AppContext,
  snap: typeof import('../../core/config/launch-snapshot.js'),
  inputs: SnapshotInputs,
  access: SnapshotAccess,
): Promise<{ config?: LaunchConfig; keychainAnswer?: Promise<string | undefined> } | undefined> {
  const checked = await snap.checkLaunchSnapshot(inputs);
  if (!checked) return undefined;
  // Its sources are unchanged, so the settings it was written under (cache on, key from there) still hold: reading
  // that key now is what the cache would do anyway.
  const fromEnv = ctx.env.VAULTMCP_CACHE_KEY;
  if (checked.keySource === 'env') {
    const key = await decodeKey(fromEnv);
    const config = key && checked.open(key);
    return config ? { config } : undefined;
  }
  if (fromEnv) return undefined; // the key source changed: load the files
  const keychainAnswer = access.readKeychainKey();
  keychainAnswer.catch(() => {}); // a failure here is the cache's to report, on the normal path
  const key = await decodeKey(await keychainAnswer.catch(() => undefined));
  const config = key && checked.open(key);
  return config ? { config, keychainAnswer } : { keychainAnswer };
}

/**
 * The cache key a snapshot is written under: VAULTMCP_CACHE_KEY, else the keychain's answer (read again when there
 * was none); none when the cache is off.
 */
async function cacheKeyFor(
  ctx: AppContext,
  loaded: LoadedSettings,
  keychainAnswer: Promise<string | undefined> | undefined,
  access: SnapshotAccess,
): Promise<{ key: Buffer; source: SnapshotKeySource } | undefined> {
  if (!loaded.settings.cache.enabled) return undefined;
  const fromEnv = ctx.env.VAULTMCP_CACHE_KEY;
  if (fromEnv) {
    const key = await decodeKey(fromEnv);
    return key ? { key, source: 'env' } : undefined;
  }
  // no answer: the keychain had no key yet (the cache has just created one) or was not asked: read it now
  const text = (await keychainAnswer?.catch(() => undefined)) ?? (await access.readKeychainKey().catch(() => undefined));
  const key = await decodeKey(text);
  return key ? { key, source: 'keychain' } : undefined;
}

/**
 * A base64 32-byte key by the cache's own rule (parseCacheKey), or undefined (a malformed one is the cache's to
 * report).
 */
async function decodeKey(text: string | undefined): Promise<Buffer | undefined> {
  if (!text) return undefined;
  const { parseCacheKey } = await import('../../core/cache/secret-cache.js');
  try {
    return parseCacheKey(text, 'the cache key');
  } catch {
    return undefined;
  }
}

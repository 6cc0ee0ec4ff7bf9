/**
 * One vault round trip as a warm client sees it, for bench/launch.bench.mjs: run with Bun (the binary's runtime),
 * it loads the OCI SDK once, builds a SecretsClient configured as src/core/vault/clients.ts does (SDK retries and
 * circuit breaker off, the emulator's endpoint), makes `warmup` GetSecretBundleByName calls and then times `count`
 * more, each a complete API call: request signing, the HTTP exchange and the answer's parsing (Bun's fetch may
 * keep the loopback connection alive between calls, which saves a launch's TCP handshake, ~0.1 ms on loopback).
 * What a cold launch pays on top of that is the one-time work (loading the SDK, building the client).
 *
 *   bun bench/vault-call.mjs '{"endpoint":"http://127.0.0.1:N","configFile":"…","vaultId":"ocid1.vault…","secretName":"bench-api-key","count":20}'
 *
 * Prints one JSON line: {"ms":[…]} (milliseconds per call).
 */
import common from 'oci-common';
import { SecretsClient } from 'oci-secrets';

const { endpoint, configFile, vaultId, secretName, count = 20, warmup = 5 } = JSON.parse(process.argv[2] ?? '{}');
common.CircuitBreaker.EnableGlobalCircuitBreaker = false;
const provider = new common.ConfigFileAuthenticationDetailsProvider(configFile, 'DEFAULT');
const client = new SecretsClient(
  { authenticationDetailsProvider: provider },
  { retryConfiguration: common.NoRetryConfigurationDetails, circuitBreaker: new common.CircuitBreaker({ disableClientCircuitBreaker: true }) },
);
client.endpoint = endpoint;
const call = () => client.getSecretBundleByName({ secretName, vaultId, opcRequestId: undefined }, {}).catch((err) => {
  throw new Error(`GetSecretBundleByName failed: ${err?.statusCode ?? ''} ${err?.message ?? err}`);
});
const ms = [];
for (let i = 0; i < warmup + count; i++) {
  const t = performance.now();
  await call();
  if (i >= warmup) ms.push(performance.now() - t);
}
console.log(JSON.stringify({ ms }));

/**
 * Stores an encrypted API key's passphrase in the OS keychain (service `docker-vaultmcp`, account
 * `oci-passphrase:<profile>`), where auth finds it (src/core/keychain.ts `lookupPassphraseFromKeychain`).
 * @throws KeychainError (exit 1) when the keychain is unavailable or locked, with a hint
 */
export async function storePassphrase(profile: string, passphrase: string): Promise<void> {
  const { sharedKeychain, passphraseAccount } = await import('../../core/keychain.js');
  await (await sharedKeychain()).set(passphraseAccount(profile), passphrase);
}

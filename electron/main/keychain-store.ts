import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { safeStorage } from 'electron';
import type { SecretStore } from '../engine/hub/token-store';

/**
 * The Hub token encrypted with the OS keychain (Keychain on macOS, DPAPI on Windows, libsecret/kwallet on Linux)
 * through Electron's safeStorage. Falls back to the engine's 0600 file when no keychain is available.
 */
export function keychainSecretStore(dataDir: string, fallback: SecretStore, name = 'hf-token'): SecretStore {
  if (!safeStorage.isEncryptionAvailable()) return fallback;
  const file = join(dataDir, 'secrets', `${name}.keychain`);
  return {
    kind: 'keychain',
    read() {
      try {
        return safeStorage.decryptString(readFileSync(file)) || fallback.read();
      } catch {
        return fallback.read();
      }
    },
    write(secret) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, safeStorage.encryptString(secret), { mode: 0o600 });
      fallback.clear();
    },
    clear() {
      rmSync(file, { force: true });
      fallback.clear();
    },
  };
}

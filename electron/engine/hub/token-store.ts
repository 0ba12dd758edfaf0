import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomicSync } from '../util/files';

/** Where the Hub token is kept: the OS keychain under Electron (see electron/main), a 0600 file otherwise. */
export interface SecretStore {
  kind: 'keychain' | 'file';
  read(): string | null;
  write(secret: string): void;
  clear(): void;
}

/** A token in a file only its owner can read, for web mode and the CLI. */
export function fileSecretStore(dataDir: string, name = 'hf-token'): SecretStore {
  const file = join(dataDir, 'secrets', name);
  return {
    kind: 'file',
    read() {
      try {
        return readFileSync(file, 'utf8').trim() || null;
      } catch {
        return null;
      }
    },
    write(secret) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileAtomicSync(file, secret, 0o600);
      chmodSync(file, 0o600);
    },
    clear() {
      rmSync(file, { force: true });
    },
  };
}

export interface HubToken {
  token: string | null;
  source: 'env' | 'keychain' | 'file' | null;
}

/** HF_TOKEN (or the legacy HUGGING_FACE_HUB_TOKEN) wins over a stored token, as in huggingface_hub. */
export function resolveHubToken(env: NodeJS.ProcessEnv, store: SecretStore): HubToken {
  const fromEnv = env.HF_TOKEN?.trim() || env.HUGGING_FACE_HUB_TOKEN?.trim();
  if (fromEnv) return { token: fromEnv, source: 'env' };
  const stored = store.read();
  return stored ? { token: stored, source: store.kind } : { token: null, source: null };
}

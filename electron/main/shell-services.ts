import { isAbsolute } from 'node:path';
import type { SecretStore } from '../engine/hub/token-store';
import type { ShellCall, ShellResults } from '../engine-host/protocol';

export interface ShellServiceDeps {
  /** The keychain-backed store (keychain-store.ts) or its file fallback. */
  secrets: SecretStore;
  /** Shows a file in the OS file manager (Electron's shell.showItemInFolder). */
  reveal(path: string): void | Promise<void>;
}

export type ShellServices = (call: ShellCall) => Promise<ShellResults[ShellCall['method']]>;

/** What the shell does for the engine host; no `electron` import, so tests drive it with plain stand-ins. */
export function shellServices(deps: ShellServiceDeps): ShellServices {
  return async (call) => {
    switch (call.method) {
      case 'secret.read':
        return { kind: deps.secrets.kind, secret: deps.secrets.read() };
      case 'secret.write':
        deps.secrets.write(call.secret);
        return null;
      case 'secret.clear':
        deps.secrets.clear();
        return null;
      case 'reveal':
        if (!isAbsolute(call.path)) throw new Error(`reveal needs an absolute path: ${call.path}`);
        await deps.reveal(call.path);
        return null;
    }
  };
}

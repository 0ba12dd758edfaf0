import type { SecretStore } from '../engine/hub/token-store';
import type { ParentChannel } from './parent-channel';
import type { CallOf, ShellMethod, ShellResults } from './protocol';

/** The host's side of the request/response calls to the shell. */
export class ShellClient {
  #next = 0;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly parent: ParentChannel,
    private readonly timeoutMs = 30_000,
  ) {}

  call<M extends ShellMethod>(call: CallOf<M>): Promise<ShellResults[M]> {
    const id = this.#next++;
    return new Promise<ShellResults[M]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`The app did not answer ${call.method} in ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
      this.#pending.set(id, { resolve: resolve, reject, timer });
      this.parent.post({ type: 'request', id, call });
    });
  }

  /** Settles the request a `response` message answers. */
  settle(id: number, value: unknown, error: string | undefined): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (error !== undefined) pending.reject(new Error(error));
    else pending.resolve(value);
  }
}

/**
 * The shell's secret store (the OS keychain through Electron's safeStorage), seen from the engine.
 * The engine's SecretStore is synchronous, so the host reads the secret once at start and keeps it;
 * writes update that copy at once and reach the keychain through the shell in order.
 */
export async function shellSecretStore(shell: ShellClient, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<SecretStore> {
  const first = await shell.call({ method: 'secret.read' });
  let secret = first.secret;
  const persist = (what: string, done: Promise<unknown>): void =>
    void done.catch((err: unknown) =>
      log(`Whittle engine: could not ${what} the Hub token in the keychain: ${err instanceof Error ? err.message : String(err)}`),
    );
  return {
    kind: first.kind,
    read: () => secret,
    write(value) {
      secret = value;
      persist('store', shell.call({ method: 'secret.write', secret: value }));
    },
    clear() {
      secret = null;
      persist('remove', shell.call({ method: 'secret.clear' }));
    },
  };
}

import type { HostToShell } from './protocol';

/** The host's side of the channel to the shell, whichever way it was started. */
export interface ParentChannel {
  post(message: HostToShell): void;
  onMessage(listener: (message: unknown) => void): void;
  /** The parent is gone (a child_process parent closing the IPC channel); a utility process dies with the app instead. */
  onDisconnect(listener: () => void): void;
}

/** Electron's `process.parentPort` in a utility process (typed here so this folder never imports electron). */
interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
}

/**
 * Under Electron's utilityProcess.fork the parent is `process.parentPort` (messages arrive as `{data}`);
 * under child_process.fork (tests, or any plain Node parent) it is the IPC channel of `process.send`.
 */
export function connectParent(proc: NodeJS.Process = process): ParentChannel {
  const port = (proc as NodeJS.Process & { parentPort?: ParentPortLike | null }).parentPort;
  if (port) {
    return {
      post: (message) => port.postMessage(message),
      onMessage: (listener) => void port.on('message', (event) => listener(event.data)),
      onDisconnect: () => undefined,
    };
  }
  const send = proc.send?.bind(proc);
  if (!send) throw new Error('The engine host runs under the Whittle app (utilityProcess) or a parent that forked it with an IPC channel');
  return {
    // A callback keeps a send after the parent left from turning into an 'error' event (the host is stopping then anyway).
    post: (message) => void (proc.connected && send(message, undefined, undefined, () => undefined)),
    onMessage: (listener) => void proc.on('message', listener),
    onDisconnect: (listener) => void proc.once('disconnect', listener),
  };
}

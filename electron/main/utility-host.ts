import { app, utilityProcess, type Details } from 'electron';
import { ENGINE_SERVICE_NAME } from '../engine-host/protocol';
import { OutputTail, type HostExit, type HostProcess } from './engine-host-process';

/** Electron reports why a child went in `child-process-gone`; give it this long after `exit` to arrive. */
const GONE_GRACE_MS = 150;

/** Starts the engine host (out/main/engine-host.js) in an Electron utility process: a Node child of the app, off its UI thread. */
export function launchUtilityHost(script: string, env: Record<string, string>): HostProcess {
  const child = utilityProcess.fork(script, [], { serviceName: ENGINE_SERVICE_NAME, stdio: 'pipe', env });
  const tail = new OutputTail();
  for (const [from, to] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const) {
    from?.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      to.write(chunk);
    });
  }
  child.on('error', (type, location) => tail.push(`${type} at ${location}`));
  let cause: string | undefined;
  const onGone = (_event: unknown, details: Details): void => {
    if (details.type === 'Utility' && details.serviceName === ENGINE_SERVICE_NAME) cause = details.reason;
  };
  app.on('child-process-gone', onGone);
  return {
    post: (message) => child.postMessage(message),
    onMessage: (listener) => void child.on('message', listener),
    onExit: (listener) =>
      void child.once('exit', (code) => {
        setTimeout(() => {
          app.off('child-process-gone', onGone);
          const exit: HostExit = { code, signal: null, cause };
          listener(exit);
        }, GONE_GRACE_MS);
      }),
    kill() {
      // child.kill() is a SIGTERM, which the host takes as "shut down"; this is for a host that does not.
      if (child.pid === undefined) return;
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        child.kill();
      }
    },
    output: () => tail.text(),
  };
}

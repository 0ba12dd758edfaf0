// The only bridge between the sandboxed renderer and the app: tRPC messages over one IPC channel.
// No Node or Electron API reaches the page.
import { exposeElectronTRPC } from 'trpc-electron/main';

process.once('loaded', () => {
  exposeElectronTRPC();
});

// The engine host's entry point: built to out/main/engine-host.js, which the Electron shell starts with
// utilityProcess.fork (tests fork electron/engine-host/index.ts with plain Node and tsx).
import { runEngineHost } from './host';
import { connectParent } from './parent-channel';

runEngineHost(connectParent());

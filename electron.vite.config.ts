import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';

// The dev server injects inline scripts and styles (React refresh, CSS HMR) that the production CSP
// forbids; only `electron-vite dev` drops the meta CSP. Builds keep it.
const devWithoutCsp: Plugin = {
  name: 'whittle-dev-without-csp',
  apply: 'serve',
  transformIndexHtml: (html) => html.replace(/<meta\s+http-equiv="Content-Security-Policy"[^>]*>\s*/i, ''),
};

// One build produces every entry point: the Electron main process, the engine host it runs in a utility
// process, the `whittle` CLI (which also hosts `whittle serve`), the job worker and model host the engine
// forks, the preload bridge and the renderer.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // Bundling the pure-JS libraries `whittle serve` loads at start saves module resolution (measured by bench/serve-start).
      externalizeDeps: { exclude: ['zod', '@trpc/server', 'trpc-electron', 'commander', 'fastify', '@fastify/static'] },
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'electron/main/index.ts'),
          'engine-host': resolve(__dirname, 'electron/engine-host/index.ts'),
          cli: resolve(__dirname, 'electron/cli/index.ts'),
          'job-worker': resolve(__dirname, 'electron/engine/jobs/worker.ts'),
          'model-host': resolve(__dirname, 'electron/engine/inference/model-host.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot require() from node_modules: bundle its one dependency.
      externalizeDeps: { exclude: ['trpc-electron'] },
      rollupOptions: { input: { index: resolve(__dirname, 'electron/preload/index.ts') } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    plugins: [react(), devWithoutCsp],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      minify: true,
      rollupOptions: { input: { index: resolve(__dirname, 'renderer/index.html') } },
    },
  },
});

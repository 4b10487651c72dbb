import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web app's one build, used by the web stack's asset (at synth), by `npm start` and by the browser tests.
 * JSX is compiled by Vite's own transformer; no plugin is needed for a production build.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Hashed file names: the web stack caches them for a year and never index.html.
    assetsDir: 'assets',
    sourcemap: false,
  },
});

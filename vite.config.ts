import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// WASM threads need cross-origin isolation (SharedArrayBuffer): every server we run sends
// these headers, and a deployment must too.
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  base: './',
  plugins: [react()],
  worker: {
    format: 'es',
    // The threaded WASM backend builds its pthread workers from the source text of a
    // function in the bundle; minification renames what that text refers to and the
    // threads die with "e is not defined" (tensorflow/tfjs#4107). The page stays minified.
    rolldownOptions: { output: { minify: false } },
  },
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    // bench.html is the page `npm run bench` drives in headless Chromium.
    rolldownOptions: {
      input: {
        main: fileURLToPath(new URL('index.html', import.meta.url)),
        bench: fileURLToPath(new URL('bench.html', import.meta.url)),
      },
    },
  },
});

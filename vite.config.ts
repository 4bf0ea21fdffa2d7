import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The headers every server of the app sends (README: "Deploying" lists them for a
 * deployment):
 * - cross-origin isolation, which WASM threads need (SharedArrayBuffer);
 * - a Content-Security-Policy: scripts only from our origin, no inline script and no
 *   eval; 'wasm-unsafe-eval' lets WebAssembly compile; blob: scripts and workers are
 *   TF.js's WASM threads (each thread is a worker made from a blob, which imports the
 *   backend's code from another blob); inline style attributes are KaTeX's formula
 *   layout, and data: fonts its smallest fonts, which the build inlines;
 * - no MIME sniffing, and no referrer sent to other sites.
 */
export function securityHeaders(scriptNonce?: string): Record<string, string> {
  const policy = [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval' blob:${scriptNonce ? ` 'nonce-${scriptNonce}'` : ''}`,
    "worker-src 'self' blob:",
    "style-src 'self'" + (scriptNonce ? ` 'nonce-${scriptNonce}'` : ''),
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Content-Security-Policy': policy,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  };
}

export default defineConfig(({ command, isPreview }) => {
  // The dev server injects inline scripts (React's refresh preamble) and styles (hot CSS):
  // they carry this nonce, fresh at every start. The built app has no inline script at all.
  const devNonce = command === 'serve' && !isPreview ? randomBytes(16).toString('base64') : undefined;
  return {
    base: './',
    // A missing file is a 404, not the app's index.html with a 200.
    appType: 'mpa',
    plugins: [react()],
    ...(devNonce ? { html: { cspNonce: devNonce } } : {}),
    worker: {
      format: 'es',
      // The threaded WASM backend builds its pthread workers from the source text of a
      // function in the bundle; minification renames what that text refers to and the
      // threads die with "e is not defined" (tensorflow/tfjs#4107). The page stays minified.
      rolldownOptions: { output: { minify: false } },
    },
    server: { headers: securityHeaders(devNonce) },
    preview: { headers: securityHeaders() },
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
  };
});

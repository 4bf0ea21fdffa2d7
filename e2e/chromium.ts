/**
 * Finds a Chromium to drive. Playwright's own browser download needs the internet, so we
 * use a system browser: $CHROMIUM_PATH, or the usual install locations.
 */
import { existsSync } from 'node:fs';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
];

export const HOW_TO_GET_CHROMIUM =
  'No Chromium found. Install one (Debian/Ubuntu: "sudo apt-get install chromium"; macOS: install Google Chrome) ' +
  'or point CHROMIUM_PATH at a Chromium or Chrome executable.';

export function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

/**
 * --enable-unsafe-webgpu offers WebGPU in headless Chromium (on SwiftShader, in software,
 * where there is no GPU); the rest keep a closed network quiet and a root user working.
 */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

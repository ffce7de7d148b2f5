import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The server serves console/dist at `/` (SPA fallback), so the base is `/`.
// `npm run dev -w console` proxies the API to a server on port 4000.
// `@latchkey/sdk/browser` is read from the SDK's sources, as tsconfig.base.json's `paths` do for TypeScript,
// so the console never waits for (or runs behind) the SDK's dist/ build.
export default defineConfig({
  base: '/',
  plugins: [react()],
  resolve: {
    alias: [
      {
        find: /^@latchkey\/sdk\/browser$/,
        replacement: fileURLToPath(new URL('../packages/sdk/src/browser.ts', import.meta.url)),
      },
    ],
  },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
  server: { proxy: { '/v1': 'http://127.0.0.1:4000' } },
});

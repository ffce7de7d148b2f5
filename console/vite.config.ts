import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The server serves console/dist at `/` (SPA fallback), so the base is `/`.
// `npm run dev -w console` proxies the API to a server on port 4000.
export default defineConfig({
  base: '/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
  server: { proxy: { '/v1': 'http://127.0.0.1:4000' } },
});

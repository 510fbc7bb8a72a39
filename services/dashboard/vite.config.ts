import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** `npm run dev`: the service the dev server passes the API and socket.io to. */
const service = process.env.TCPLAB_SERVICE_URL ?? 'http://127.0.0.1:3000';

// Static files the session service serves at `/`; relative paths, so any prefix works.
export default defineConfig({
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  // The page calls its own origin (src/api.ts): in development that is this server.
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: {
      '/v1': service,
      '/socket.io': { target: service, ws: true },
    },
  },
});

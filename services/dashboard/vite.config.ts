import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Static files the session service serves at `/`; relative paths, so any prefix works.
export default defineConfig({
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
});

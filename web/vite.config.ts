import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

/*
 * `vite build` → dist/ (production, the real @twilio/voice-sdk).
 * `vite build --mode e2e` → dist-e2e/, with @twilio/voice-sdk replaced by
 * src/testing/fake-voice-sdk.ts for the end-to-end test.
 * @ramal/client is clients/ts/src, compiled into the app.
 */
const client = fileURLToPath(new URL('../clients/ts/src/index.ts', import.meta.url));

export default defineConfig(({ mode }) => {
  const e2e = mode === 'e2e';
  return {
    plugins: [react()],
    resolve: {
      alias: {
        // The typed client (clients/ts), as tsconfig.json's paths.
        '@ramal/client': client,
        ...(e2e ? { '@twilio/voice-sdk': fileURLToPath(new URL('./src/testing/fake-voice-sdk.ts', import.meta.url)) } : {}),
      },
    },
    server: { fs: { allow: ['.', '../clients/ts/src'] } },
    build: {
      outDir: e2e ? 'dist-e2e' : 'dist',
      emptyOutDir: true,
      sourcemap: false,
      chunkSizeWarningLimit: 1024,
    },
    test: {
      include: ['src/**/*.test.ts'],
      environment: 'node',
    },
  };
});

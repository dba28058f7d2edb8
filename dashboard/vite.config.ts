// The dashboard's build: Preact through esbuild's automatic JSX runtime (no Preact preset is installed, and none
// is needed), one small bundle with hashed names under dist/assets/ so they can be cached for good.
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  // Absolute: with history routing a page such as /deals/0x… must still find /assets/….
  base: "/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // The figures a user sees do not need a source map shipped in the package.
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    // `vite dev` against an indexer: LILYPAD_INDEXER_URL=http://127.0.0.1:8548 npx vite dashboard
    proxy: process.env.LILYPAD_INDEXER_URL ? { "/api": { target: process.env.LILYPAD_INDEXER_URL, changeOrigin: true } } : undefined,
  },
});

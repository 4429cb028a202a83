/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The window loads only what is bundled here: no CDN, no remote fonts.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: { target: "safari15", outDir: "dist", emptyOutDir: true, sourcemap: false },
  // Unit tests of the UI's own logic; the window's E2E tests live in e2e/ and run under node --test.
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});

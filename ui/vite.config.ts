/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The window loads only what is bundled here: no CDN, no remote fonts.
export default defineConfig({
  plugins: [svelte()],
  // Component tests mount Svelte in jsdom: resolve Svelte's browser build under Vitest.
  resolve: process.env.VITEST ? { conditions: ["browser"] } : undefined,
  clearScreen: false,
  build: { target: "safari15", outDir: "dist", emptyOutDir: true, sourcemap: false },
  // Unit tests of the UI's logic and components (those mark themselves `@vitest-environment
  // jsdom`); the window's E2E tests live in e2e/ and run under node --test.
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});

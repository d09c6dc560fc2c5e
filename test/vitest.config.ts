import { defineConfig } from "vitest/config";

// Tests run against the built package in dist/ where the claim is about the shipped CLI,
// and against src/ for the pure core. 2-core machines: keep file parallelism low.
export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 240_000,
    reporters: ["default"],
  },
});

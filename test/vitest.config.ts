import { defineConfig } from "vitest/config";

/**
 * Tests run against the built package in dist/ where the claim is about the shipped CLI, and
 * against src/ for the pure core. The suite runs in groups, one after the other, so heavy work
 * never competes with a starting gateway on a 2-core machine (a gateway starved of CPU by the
 * 16-process contention run did not come up within two minutes):
 *   0 unit        — fast, two files at a time;
 *   1 reliability — many real child processes (lock contention, SIGKILL, SIGSTOP, full disk);
 *   2 browser     — headless Chromium against `task-manager serve`;
 *   3 e2e         — real gateways of both hosts, one file (one gateway) at a time.
 */
const shared = {
  root: new URL("..", import.meta.url).pathname,
  pool: "forks" as const,
  testTimeout: 60_000,
  hookTimeout: 600_000,
};

export default defineConfig({
  test: {
    ...shared,
    globalSetup: ["test/global-setup.ts"],
    reporters: ["default"],
    projects: [
      {
        test: {
          ...shared,
          name: "unit",
          include: ["test/{architecture,core,cli,host,plugin,store,docs,bench,page}/**/*.test.ts"],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: "reliability",
          include: ["test/reliability/**/*.test.ts"],
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          ...shared,
          name: "browser",
          include: ["test/ui/**/*.test.ts"],
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
      {
        test: {
          ...shared,
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          fileParallelism: false,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});

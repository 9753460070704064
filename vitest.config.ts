import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    expect: { requireAssertions: true },
    // Generous: many tests run real instances and processes that talk over loopback, and a busy
    // machine slows every step. A test that fails for real fails on an assertion, not on these.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});

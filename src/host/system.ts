import os from "node:os";

export interface SystemLoad {
  loadPerCore: number;
  freeMemoryMB: number;
}

/** Real machine load: 1-minute load average per core, and available memory. */
export function observeSystem(): SystemLoad {
  const cores = Math.max(1, os.availableParallelism());
  return {
    loadPerCore: (os.loadavg()[0] ?? 0) / cores,
    freeMemoryMB: Math.round(os.freemem() / (1024 * 1024)),
  };
}

import { spawn, spawnSync } from "node:child_process";

/** How a child is confined; decided once per server by `detectSandbox`. */
export interface SandboxPlan {
  /** `prlimit` caps the address space and CPU time; without it only the wall-clock limit applies. */
  prlimit: string | null;
  /** `unshare --net` gives the child an empty network namespace (needs unprivileged user namespaces). */
  unshare: string | null;
}

export interface SandboxedRun {
  /** Wall-clock limit; past it the child's whole process group is killed. */
  timeoutMs: number;
  /** Address-space limit in bytes (with prlimit). */
  memoryBytes: number;
  /** Largest stdout kept; more kills the child. */
  maxOutputBytes: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  /** The end of stderr, for logs; never shown to posters. */
  stderr: string;
  timedOut: boolean;
  /** The child's pid (also its process group), so a test can check nothing is left. */
  pid: number | undefined;
}

function works(cmd: string, args: readonly string[]): boolean {
  try {
    const r = spawnSync(cmd, [...args], { stdio: "ignore", timeout: 5000 });
    return r.status === 0;
  } catch {
    return false;
  }
}

/**
 * Which confinement this machine offers: each tool is tried once with a harmless command, so a
 * container that forbids user namespaces still runs videos (with the limits it has) instead of none.
 */
export function detectSandbox(): SandboxPlan {
  const prlimit = works("prlimit", ["--as=1073741824", "--", "true"]) ? "prlimit" : null;
  const unshare = works("unshare", ["--map-root-user", "--net", "--", "true"]) ? "unshare" : null;
  return { prlimit, unshare };
}

/** The command line that runs `cmd args` inside the plan's confinement. */
export function confinedCommand(
  plan: SandboxPlan,
  limits: Pick<SandboxedRun, "timeoutMs" | "memoryBytes">,
  cmd: string,
  args: readonly string[],
): [string, string[]] {
  let line: string[] = [cmd, ...args];
  if (plan.prlimit) {
    const cpuSeconds = Math.max(1, Math.ceil(limits.timeoutMs / 1000));
    // --nproc is left alone: it counts every process of the user, not the child's.
    line = [plan.prlimit, `--as=${limits.memoryBytes}`, `--cpu=${cpuSeconds}`, "--core=0", "--", ...line];
  }
  if (plan.unshare) line = [plan.unshare, "--map-root-user", "--net", "--", ...line];
  const [head, ...rest] = line;
  return [head as string, rest];
}

/**
 * Runs one untrusted-input tool (ffmpeg, ffprobe) in its own process group, with no stdin, bounded
 * output and a wall-clock limit after which the group is killed; resolves once the child has exited,
 * so no process outlives the call.
 */
export function runSandboxed(
  plan: SandboxPlan,
  limits: SandboxedRun,
  cmd: string,
  args: readonly string[],
): Promise<RunResult> {
  const [bin, argv] = confinedCommand(plan, limits, cmd, args);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, argv, {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", LC_ALL: "C" },
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = "";
    let timedOut = false;
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, limits.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > limits.maxOutputBytes) {
        killGroup();
        return;
      }
      out.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err = (err + chunk.toString("utf8")).slice(-4000);
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      // The leader has exited; anything it forked is killed with the group so nothing lingers.
      killGroup();
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err, timedOut, pid: child.pid });
    });
  });
}

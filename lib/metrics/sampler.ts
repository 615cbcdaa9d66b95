/**
 * Samples the running process and the machine while work runs: RSS (and the kernel's exact
 * peak, VmHWM, on Linux), process CPU % (can exceed 100 with several threads, as in the paper's
 * Table 1), CPU frequency, temperature and Pi throttling where the machine exposes them.
 */
import { readFileSync } from "node:fs";
import { cpuFrequencyMHz, cpuTemperatureC, piThrottled } from "../runtime/device";

/** One sample. */
export interface ResourceSample {
  /** Seconds since the sampler started. */
  t: number;
  rssMB: number;
  /** Process CPU over the last interval, % of one core. */
  cpuPercent: number;
  cpuMHz: number | null;
  temperatureC: number | null;
}

/** What a sampling window saw. */
export interface ResourceSummary {
  seconds: number;
  /** Highest RSS sampled in this window. */
  peakRssMB: number;
  /** The kernel's lifetime peak RSS of the process (VmHWM), or null off Linux. */
  processPeakRssMB: number | null;
  meanCpuPercent: number;
  maxTemperatureC: number | null;
  meanCpuMHz: number | null;
  /** True when the Pi firmware reported throttling at any sample. */
  throttled: boolean | null;
  samples: ResourceSample[];
}

/** The kernel's peak resident set size of this process in MB (VmHWM), or null off Linux. */
export function peakRssMBFromKernel(): number | null {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const kb = /VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * This process's resident set size in MB. Node's figure, or the kernel's VmRSS where Node reads 0
 * (under qemu-user, as an arm64 build emulated on x86 runs).
 */
export function currentRssMB(): number {
  const rss = process.memoryUsage.rss();
  if (rss > 0) return rss / 2 ** 20;
  try {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Samples every `intervalMs` until stopped. The timer is unref'd: it never keeps Node alive.
 * @example const s = new ResourceSampler(); s.start(); await work(); const summary = s.stop();
 */
export class ResourceSampler {
  private samples: ResourceSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private startWall = 0;
  private startCpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  private lastWall = 0;
  private lastCpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  private throttled: boolean | null = null;

  constructor(private readonly intervalMs = 250) {}

  /** Starts sampling (restarts if already running). */
  start(): this {
    this.stopTimer();
    this.samples = [];
    this.startWall = this.lastWall = performance.now();
    this.startCpu = this.lastCpu = process.cpuUsage();
    this.throttled = piThrottled() === null ? null : false;
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  private sample(): void {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const wallUs = (now - this.lastWall) * 1000;
    const cpuUs = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    this.lastWall = now;
    this.lastCpu = cpu;
    const throttle = piThrottled();
    if (throttle && throttle.throttled) this.throttled = true;
    this.samples.push({
      t: (now - this.startWall) / 1000,
      rssMB: currentRssMB(),
      cpuPercent: wallUs > 0 ? (100 * cpuUs) / wallUs : 0,
      cpuMHz: cpuFrequencyMHz(),
      temperatureC: cpuTemperatureC(),
    });
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Stops and summarises. Mean CPU % is over the whole window, not the mean of samples. */
  stop(): ResourceSummary {
    this.sample();
    this.stopTimer();
    const seconds = (performance.now() - this.startWall) / 1000;
    const cpu = process.cpuUsage(this.startCpu);
    const temps = this.samples.map((s) => s.temperatureC).filter((v): v is number => v !== null);
    const freqs = this.samples.map((s) => s.cpuMHz).filter((v): v is number => v !== null);
    return {
      seconds,
      peakRssMB: Math.max(...this.samples.map((s) => s.rssMB)),
      processPeakRssMB: peakRssMBFromKernel(),
      meanCpuPercent: seconds > 0 ? (100 * (cpu.user + cpu.system)) / 1e6 / seconds : 0,
      maxTemperatureC: temps.length ? Math.max(...temps) : null,
      meanCpuMHz: freqs.length ? freqs.reduce((a, b) => a + b, 0) / freqs.length : null,
      throttled: this.throttled,
      samples: this.samples,
    };
  }
}

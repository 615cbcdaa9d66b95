/**
 * Device facts: CPU, memory, Raspberry Pi model, temperature and throttling.
 * Read from /proc and /sys where they exist (Linux, Pi OS); absent facts are null, never guessed.
 */
import { readFileSync } from "node:fs";
import * as os from "node:os";

/** Static facts about the machine, read once. */
export interface DeviceInfo {
  /** CPU model string, e.g. "Cortex-A76" or "AMD EPYC 7B13". */
  cpu: string;
  /** Logical cores visible to this process. */
  cores: number;
  /** Total RAM in GiB (2 decimals). */
  memoryGiB: number;
  /** `process.arch`, e.g. "arm64". */
  arch: string;
  /** `process.platform`, e.g. "linux". */
  platform: string;
  /** Raspberry Pi model from the device tree, e.g. "Raspberry Pi 5 Model B Rev 1.0", or null. */
  pi: string | null;
  hostname: string;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** The Pi model string, or null when this is not a Raspberry Pi. */
export function piModel(): string | null {
  const model = readText("/proc/device-tree/model") ?? readText("/sys/firmware/devicetree/base/model");
  if (model === null) return null;
  const clean = model.replace(/\0/g, "").trim();
  return /raspberry pi/i.test(clean) ? clean : null;
}

function cpuModel(): string {
  const cpus = os.cpus();
  const fromOs = cpus[0]?.model?.trim();
  if (fromOs && fromOs !== "unknown") return fromOs;
  // arm64 kernels often leave the model name empty: fall back to the part number in cpuinfo.
  const info = readText("/proc/cpuinfo") ?? "";
  const part = /CPU part\s*:\s*(0x[0-9a-f]+)/i.exec(info)?.[1];
  const armParts: Record<string, string> = { "0xd03": "Cortex-A53", "0xd08": "Cortex-A72", "0xd0b": "Cortex-A76" };
  return part ? (armParts[part.toLowerCase()] ?? `ARM part ${part}`) : "unknown";
}

/** Reads the static device facts. */
export function readDevice(): DeviceInfo {
  return {
    cpu: cpuModel(),
    cores: typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 100) / 100,
    arch: process.arch,
    platform: process.platform,
    pi: piModel(),
    hostname: os.hostname(),
  };
}

/** SoC temperature in °C from the first thermal zone, or null where none is exposed. */
export function cpuTemperatureC(): number | null {
  const raw = readText("/sys/class/thermal/thermal_zone0/temp");
  if (raw === null) return null;
  const milli = Number(raw.trim());
  return Number.isFinite(milli) ? milli / 1000 : null;
}

/** Current frequency of core 0 in MHz from cpufreq, or null where not exposed. */
export function cpuFrequencyMHz(): number | null {
  const raw = readText("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq");
  if (raw === null) return null;
  const khz = Number(raw.trim());
  return Number.isFinite(khz) ? khz / 1000 : null;
}

/**
 * Pi throttling flags as the firmware reports them (`vcgencmd get_throttled` bits), read from
 * sysfs where the kernel exposes them; null elsewhere.
 */
export function piThrottled(): {
  raw: number;
  underVoltage: boolean;
  throttled: boolean;
  softTempLimit: boolean;
} | null {
  const raw = readText("/sys/devices/platform/soc/soc:firmware/get_throttled");
  if (raw === null) return null;
  const bits = parseInt(raw.trim(), 16);
  if (!Number.isFinite(bits)) return null;
  return {
    raw: bits,
    underVoltage: (bits & 0x1) !== 0,
    throttled: (bits & 0x4) !== 0,
    softTempLimit: (bits & 0x8) !== 0,
  };
}

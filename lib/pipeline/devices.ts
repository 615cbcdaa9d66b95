/**
 * Cluster descriptions for planning, as users type them: `--devices pi5:1:8192,2*pi4:0.45:4096`
 * (name, speed relative to the profiling machine, memory in MB; `N*` repeats a device). Pure.
 */
import type { DeviceSpec, LinkModel } from "./partition";

/** Measured-here defaults for a link: Pi Ethernet. */
export const gigabitEthernet: LinkModel = Object.freeze({ bandwidthMbps: 1000, latencyMs: 0.1 });

/** Parses a device list; `defaultMemoryBytes` fills an omitted memory. Throws a one-line error on bad syntax. */
export function parseDevices(spec: string, defaultMemoryBytes: number): DeviceSpec[] {
  const devices: DeviceSpec[] = [];
  for (const raw of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(?:(\d+)\*)?([A-Za-z0-9_.-]+)(?::([0-9.eE+-]+))?(?::([0-9.eE+-]+))?$/.exec(raw);
    if (!m) throw new Error(`--devices: cannot read "${raw}" (want NAME[:SPEED[:MEMORY_MB]], optionally N*NAME…)`);
    const count = m[1] ? Number(m[1]) : 1;
    const speed = m[3] ? Number(m[3]) : 1;
    const memoryBytes = m[4] ? Number(m[4]) * 2 ** 20 : defaultMemoryBytes;
    if (!(speed > 0) || !(memoryBytes > 0) || !(count >= 1))
      throw new Error(`--devices: "${raw}" needs a positive speed and memory`);
    for (let i = 0; i < count; i++) devices.push({ name: count > 1 ? `${m[2]}-${i}` : m[2], speed, memoryBytes });
  }
  if (devices.length === 0) throw new Error("--devices: no device given");
  return devices;
}

/** `count` copies of the profiling machine. */
export function localDevices(count: number, memoryBytes: number): DeviceSpec[] {
  return Array.from({ length: count }, (_, i) => ({ name: `stage${i}`, speed: 1, memoryBytes }));
}

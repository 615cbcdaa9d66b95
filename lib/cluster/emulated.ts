/**
 * A Pi cluster emulated on one Linux machine: each host a network namespace with a veth pair to a
 * bridge in a "switch" namespace, both ends of every link shaped with `tc … tbf` (1 Gbit/s for Pi
 * Ethernet, 50 Mbit/s for Wi-Fi). This kernel has no `netem`, so link latency is not emulated.
 * MPI ranks are started inside the namespaces and forced onto TCP (MPICH's `MPIR_CVAR_NOLOCAL`,
 * UCX's `UCX_TLS=tcp,self`): otherwise processes on one machine would talk through shared memory
 * and bypass the links. Needs root (or CAP_NET_ADMIN) and iproute2; Linux only.
 */
import { spawnSync } from "node:child_process";

/** One emulated host. */
export interface EmulatedHost {
  namespace: string;
  /** The host's interface inside its namespace. */
  device: string;
  address: string;
}

/** A running emulated cluster; `destroy()` removes every namespace and link. */
export interface EmulatedCluster {
  hosts: EmulatedHost[];
  bandwidthMbps: number;
  /** The command prefix that runs a program on host `i`, with MPI forced onto the host's link. */
  hostCommand(i: number): string[];
  destroy(): void;
}

function ip(args: string[]): { ok: boolean; error: string } {
  const run = spawnSync("ip", args, { encoding: "utf8" });
  return { ok: run.status === 0, error: (run.stderr || run.error?.message || "").trim() };
}

function must(args: string[], tool = "ip"): void {
  const run = spawnSync(tool, args, { encoding: "utf8" });
  if (run.status !== 0)
    throw new Error(`${tool} ${args.join(" ")}: ${(run.stderr || run.error?.message || `exit ${run.status}`).trim()}`);
}

/** Why namespaces cannot be used here, or null when they can (probes by creating one). */
export function emulationUnavailable(): string | null {
  if (process.platform !== "linux") return "network namespaces exist on Linux only";
  for (const tool of ["ip", "tc"])
    if (spawnSync(tool, ["-V"], { stdio: "ignore" }).error) return `${tool} (iproute2) is not installed`;
  const probe = `el-probe-${process.pid}`;
  const made = ip(["netns", "add", probe]);
  if (!made.ok)
    return `cannot create network namespaces (${made.error || "permission denied"}): run as root or with CAP_NET_ADMIN`;
  ip(["netns", "del", probe]);
  return null;
}

/** Shapes one interface with a token bucket at `mbps`. */
function shape(namespace: string, device: string, mbps: number): void {
  // Burst: at least one MTU and ~1 ms of traffic, so the bucket neither starves nor bursts.
  const burstKb = Math.max(8, Math.ceil(mbps / 8));
  must(
    [
      "netns",
      "exec",
      namespace,
      "tc",
      "qdisc",
      "add",
      "dev",
      device,
      "root",
      "tbf",
      "rate",
      `${mbps}mbit`,
      "burst",
      `${burstKb}kb`,
      "latency",
      "50ms",
    ],
    "ip",
  );
}

/**
 * Creates `hosts` namespaces on 10.77.N.0/24 joined by a bridge, every link shaped to
 * `bandwidthMbps` in both directions. Names carry the process id, so concurrent runs do not clash.
 */
export function createEmulatedCluster(hosts: number, bandwidthMbps: number): EmulatedCluster {
  const why = emulationUnavailable();
  if (why) throw new Error(`cannot emulate a cluster: ${why}`);
  const tag = (process.pid % 10000).toString(36);
  const subnet = 1 + (process.pid % 250);
  const sw = `el${tag}-sw`;
  const made: string[] = [];
  const destroy = (): void => {
    for (const ns of made.reverse()) ip(["netns", "del", ns]);
    made.length = 0;
  };
  try {
    must(["netns", "add", sw]);
    made.push(sw);
    must(["-n", sw, "link", "add", "br0", "type", "bridge"]);
    must(["-n", sw, "link", "set", "br0", "up"]);
    const list: EmulatedHost[] = [];
    for (let i = 0; i < hosts; i++) {
      const namespace = `el${tag}-h${i}`;
      const device = `el${tag}v${i}`;
      const port = `el${tag}p${i}`;
      const address = `10.77.${subnet}.${i + 1}`;
      must(["netns", "add", namespace]);
      made.push(namespace);
      must(["link", "add", device, "type", "veth", "peer", "name", port]);
      must(["link", "set", device, "netns", namespace]);
      must(["link", "set", port, "netns", sw]);
      must(["-n", sw, "link", "set", port, "master", "br0"]);
      must(["-n", sw, "link", "set", port, "up"]);
      must(["-n", namespace, "addr", "add", `${address}/24`, "dev", device]);
      must(["-n", namespace, "link", "set", device, "up"]);
      must(["-n", namespace, "link", "set", "lo", "up"]);
      // Shape both directions: the host's egress and the switch port's egress toward the host.
      shape(namespace, device, bandwidthMbps);
      shape(sw, port, bandwidthMbps);
      list.push({ namespace, device, address });
    }
    return {
      hosts: list,
      bandwidthMbps,
      hostCommand: (i) => {
        const h = list[i];
        // EDGELAB_MPI_SKIP_FINALIZE: see MpiCommunicator.finalize (MPI_Finalize hangs over UCX's TCP here).
        return [
          "ip",
          "netns",
          "exec",
          h.namespace,
          "env",
          "MPIR_CVAR_NOLOCAL=1",
          "UCX_TLS=tcp,self",
          `UCX_NET_DEVICES=${h.device}`,
          "EDGELAB_MPI_SKIP_FINALIZE=1",
        ];
      },
      destroy,
    };
  } catch (err) {
    destroy();
    throw err;
  }
}

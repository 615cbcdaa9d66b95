/**
 * Raspberry Pi OS, checked for real on an x86 machine: edgelab installed for arm64
 * (scripts/arm64-sysroot.sh: Debian's arm64 nodejs 18, OpenBLAS, MPICH and libxgboost, and
 * `npm ci --cpu=arm64`) run under qemu-user as a Cortex-A72 (Pi 4) and a Cortex-A76 (Pi 5):
 * `edgelab info`, a small training run, `run-onnx` parity with PyTorch's outputs, and loading
 * tslab's zeromq. On an arm64 machine every other test already runs natively.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readNpy } from "../../lib/deploy/npy";
import { fixture, repoRoot } from "../helpers/paths";

const arm64 = join(repoRoot, "data", "cache", "arm64");
const sysroot = join(arm64, "sysroot");
const project = join(arm64, "project");
const qemu = "/usr/bin/qemu-aarch64-static";

const skip =
  process.arch === "arm64"
    ? "this machine is arm64: every other test runs natively here"
    : !existsSync(qemu)
      ? "qemu-user-static is not installed (npm run setup installs it on x86)"
      : !existsSync(join(sysroot, "usr", "bin", "node")) || !existsSync(join(project, "node_modules"))
        ? "no arm64 sysroot (npm run setup builds it with scripts/arm64-sysroot.sh)"
        : null;

/** ARM-format /proc/cpuinfo as each Pi's kernel writes it (onnxruntime reads it at load). */
const cpuinfo: Record<string, { name: string; part: string; variant: string; revision: number; features: string }> = {
  "cortex-a72": {
    name: "Cortex-A72",
    part: "0xd08",
    variant: "0x0",
    revision: 3,
    features: "fp asimd evtstrm crc32 cpuid",
  },
  "cortex-a76": {
    name: "Cortex-A76",
    part: "0xd0b",
    variant: "0x4",
    revision: 1,
    features: "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp",
  },
};

function emulate(cpu: string, args: string[], cwd = project): { code: number; stdout: string; stderr: string } {
  const run = spawnSync(qemu, ["-cpu", cpu, "-L", sysroot, join(sysroot, "usr", "bin", "node"), ...args], {
    cwd,
    encoding: "utf8",
    timeout: 600_000,
    maxBuffer: 64 << 20,
  });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

function emulatedJson(cpu: string, args: string[]): Record<string, unknown> {
  const run = emulate(cpu, [join(project, "build", "lib", "cli", "main.js"), ...args, "--json"]);
  assert.equal(run.code, 0, `${cpu} edgelab ${args.join(" ")}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

test(
  "edgelab on arm64 under qemu as a Pi 4 (Cortex-A72) and a Pi 5 (Cortex-A76): info, training, ONNX parity with PyTorch, zeromq",
  { skip: skip ?? false },
  (t) => {
    // the compiled JavaScript is the same on every architecture; node_modules are arm64's
    rmSync(join(project, "build"), { recursive: true, force: true });
    cpSync(join(repoRoot, "build"), join(project, "build"), { recursive: true });
    const work = mkdtempSync(join(tmpdir(), "edgelab-arm64-"));
    try {
      for (const [cpu, c] of Object.entries(cpuinfo)) {
        const proc = Array.from(
          { length: 4 },
          (_, i) =>
            `processor\t: ${i}\nBogoMIPS\t: 108.00\nFeatures\t: ${c.features}\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: ${c.variant}\nCPU part\t: ${c.part}\nCPU revision\t: ${c.revision}\n`,
        ).join("\n");
        writeFileSync(join(sysroot, "proc", "cpuinfo"), `${proc}\n`);
        const info = emulatedJson(cpu, ["info"]);
        assert.deepEqual([info.arch, info.cpu], ["arm64", c.name], cpu);
        assert.match(String(info.node), /^v18\./, "Debian bookworm's nodejs, as on Raspberry Pi OS");
        assert.ok(
          info.blas && info.mpi && info.xgboost && info.onnxruntime,
          `${cpu}: native libraries load: ${JSON.stringify(info)}`,
        );
        const run = emulatedJson(cpu, [
          "train",
          "--model",
          "mlp",
          "--dataset",
          "synthetic-cicids",
          "--subset",
          "400",
          "--epochs",
          "1",
          "--out",
          join(work, `run-${cpu}`),
        ]);
        assert.ok(Number(run.testAccuracy) > 0.5, `${cpu}: accuracy ${run.testAccuracy}`);
        assert.ok(Number(run.peakRssMB) > 0, `${cpu}: peak RSS is measured under qemu (VmRSS), got ${run.peakRssMB}`);
        const out = join(work, `logits-${cpu}.npy`);
        emulatedJson(cpu, [
          "run-onnx",
          fixture("onnx", "sentinelnet-debug-torch.onnx"),
          "--input",
          fixture("onnx", "sentinelnet-debug-torch.inputs.npy"),
          "--out",
          out,
        ]);
        const ours = readNpy(out).data as Float32Array;
        const torch = readNpy(fixture("onnx", "sentinelnet-debug-torch.logits.npy")).data as Float32Array;
        let worst = 0;
        for (let i = 0; i < torch.length; i++) worst = Math.max(worst, Math.abs(ours[i] - torch[i]));
        assert.ok(worst <= 1e-4, `${cpu}: onnxruntime on arm64 vs PyTorch: max |Δ| ${worst}`);
        const zmq = emulate(cpu, ["-e", "const z = require('zeromq'); console.log(typeof z.Dealer)"]);
        assert.equal(zmq.stdout.trim(), "function", `${cpu}: tslab's zeromq loads: ${zmq.stderr}`);
        t.diagnostic(
          `${cpu}: test accuracy ${Number(run.testAccuracy).toFixed(3)}, ONNX max |Δ| vs PyTorch ${worst.toExponential(1)}, ${Number(run.peakRssMB).toFixed(0)} MB`,
        );
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
);

/**
 * `edgelab bench memory --model M,…|all --mode train|finetune|train,finetune --size 224
 *   [--limit-mb 4096] [--verify] [--json]`: the largest batch each zoo model trains at. Each row's
 * step memory is measured at batches 2 and 4 and extrapolated to the bound (the wasm heap's
 * 4 GiB by default); `--verify` then runs one real step at that batch in a process of its own and
 * reports what it took.
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { cliEntry } from "../bench/spb";
import {
  planVisionMemory,
  plannedBytes,
  runVisionStep,
  visionHeadroom,
  type VisionMemoryPlan,
} from "../experiments/vision-memory";
import { useBackend } from "../runtime/backends";
import { bindingLine, wasmHeapLimitBytes } from "../train/step-memory";
import { numberFlag, parse } from "./args";
import { zooSelection } from "./zoo-selection";

const MB = 2 ** 20;

/** A checked step at the planned batch. */
interface Verified {
  batch: number;
  ok: boolean;
  seconds: number | null;
  peakTensorMB: number | null;
  heapMB: number | null;
  error?: string;
}

/** Runs `edgelab bench memory`. */
export async function benchMemoryCommand(argv: string[]): Promise<void> {
  const options = {
    model: { type: "string" },
    mode: { type: "string" },
    size: { type: "string" },
    "limit-mb": { type: "string" },
    batch: { type: "string" },
    verify: { type: "boolean" },
    single: { type: "boolean" },
    json: { type: "boolean" },
  } as const;
  const { values } = parse(() => parseArgs({ args: argv, options, strict: true }), "bench memory");
  const { models, modes } = zooSelection("bench memory", values.model, values.mode);
  const positive = (v: string | undefined, flag: string, fallback: number): number =>
    numberFlag("bench memory", v, `${flag} (a positive integer)`, fallback, (n) => Number.isInteger(n) && n >= 1);
  const size = positive(values.size, "--size", 224);
  const limitBytes = positive(values["limit-mb"], "--limit-mb", wasmHeapLimitBytes / MB) * MB;
  await useBackend("wasm");

  if (values.single) {
    // One real step in this process (what --verify spawns per row).
    const run = await runVisionStep({ model: models[0], mode: modes[0], size }, positive(values.batch, "--batch", 1));
    console.log(JSON.stringify(run));
    return;
  }

  const rows = [];
  for (const model of models)
    for (const mode of modes) {
      const plan = await planVisionMemory({ model, mode, size }, limitBytes);
      // The line that sets the peak at the planned batch.
      const binding = bindingLine(plan.memory, Math.max(1, plan.largestBatch));
      rows.push({
        model,
        mode,
        size,
        fixedMB: binding.fixedBytes / MB,
        perSampleMB: binding.perSampleBytes / MB,
        largestBatch: plan.largestBatch,
        headroom: plan.headroom,
        predictedMB: plan.largestBatch > 0 ? plannedBytes(plan, plan.largestBatch) / MB : null,
        verified: values.verify && plan.largestBatch > 0 ? verify(plan) : null,
      });
    }
  const protocol = `peak tensor memory of one training step (seed 001's: SGD, random ${size}² images, batch-norm in training mode) measured at batches 2 and 4; largest batch whose tensors stay under ${visionHeadroom.train} × ${limitBytes / MB} MB (train) or ${visionHeadroom.finetune} × (finetune: the allocator's share is larger)`;
  if (values.json) {
    console.log(JSON.stringify({ protocol, limitMB: limitBytes / MB, rows }));
    return;
  }
  console.log(protocol);
  for (const r of rows)
    console.log(
      `${r.model.padEnd(20)} ${r.mode.padEnd(8)} ${r.fixedMB.toFixed(0).padStart(5)} MB + ${r.perSampleMB.toFixed(1).padStart(6)} MB/sample  largest batch ${r.largestBatch}` +
        (r.verified
          ? r.verified.ok
            ? `  (checked: ${r.verified.seconds?.toFixed(1)} s, heap ${r.verified.heapMB?.toFixed(0)} MB)`
            : `  (check failed: ${r.verified.error})`
          : ""),
    );
}

/** Runs one step at the plan's largest batch in a child process. */
function verify(plan: VisionMemoryPlan): Verified {
  const batch = plan.largestBatch;
  const args = [cliEntry(), "bench", "memory", "--single", "--model", plan.model, "--mode", plan.mode];
  args.push("--size", String(plan.size), "--batch", String(batch));
  const run = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 16 << 20 });
  try {
    const r = JSON.parse((run.stdout ?? "").trim().split("\n").pop() ?? "") as {
      seconds: number;
      peakTensorBytes: number;
      heapBytes: number | null;
    };
    return {
      batch,
      ok: true,
      seconds: r.seconds,
      peakTensorMB: r.peakTensorBytes / MB,
      heapMB: r.heapBytes === null ? null : r.heapBytes / MB,
    };
  } catch {
    const why = (run.stderr ?? "").trim().split("\n").filter(Boolean).slice(-1)[0] ?? "";
    return {
      batch,
      ok: false,
      seconds: null,
      peakTensorMB: null,
      heapMB: null,
      error: `exit ${run.status ?? run.signal}: ${why}`,
    };
  }
}

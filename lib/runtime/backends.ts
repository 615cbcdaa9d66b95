/**
 * tfjs backend selection: tfjs-node when it loads (needs libtensorflow, downloaded at install
 * time, so often absent offline), else wasm (SIMD), else the pure-JS cpu backend.
 * `EDGELAB_BACKEND` overrides the choice. Each backend is really initialised, not guessed.
 */
import * as tf from "@tensorflow/tfjs-core";
import "./tfjs";
import { createRequire } from "node:module";
import { registerWasmKernels } from "../kernels/wasm";
import { threadConfig } from "./threads";

const requireHere = createRequire(__filename);

/** tfjs backends edgelab knows, in order of preference. */
export const backendNames = ["tensorflow", "wasm", "cpu"] as const;
/** A tfjs backend name. */
export type BackendName = (typeof backendNames)[number];

/** Whether a backend can be used here, and why not. */
export interface BackendStatus {
  available: boolean;
  /** Why it is unavailable (or a caveat when it is), null when there is nothing to say. */
  reason: string | null;
}

async function tryTensorflow(): Promise<BackendStatus> {
  try {
    requireHere("@tensorflow/tfjs-node");
  } catch (err) {
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    const notInstalled = /Cannot find module '@tensorflow\/tfjs-node'/.test(message);
    return {
      available: false,
      reason: notInstalled
        ? "@tensorflow/tfjs-node is not installed (its install downloads libtensorflow; install it when online)"
        : `@tensorflow/tfjs-node failed to load: ${message}`,
    };
  }
  return (await tf.setBackend("tensorflow"))
    ? { available: true, reason: null }
    : { available: false, reason: "tfjs-node loaded but its backend did not initialise" };
}

async function tryWasm(): Promise<BackendStatus> {
  try {
    requireHere("@tensorflow/tfjs-backend-wasm");
  } catch (err) {
    return {
      available: false,
      reason: `@tensorflow/tfjs-backend-wasm failed to load: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  const ok = await tf.setBackend("wasm").catch(() => false);
  if (!ok) return { available: false, reason: "the wasm backend did not initialise (WebAssembly unavailable?)" };
  // oneDNN's OpenMP reads its thread count once, when it loads (in the registration below).
  process.env.OMP_NUM_THREADS ??= String(threadConfig().intraOp);
  const added = registerWasmKernels();
  const parts = [
    added.registered.length ? `edgelab adds ${added.registered.join(", ")}` : "",
    added.replaced.length ? `replaces ${added.replaced.join(", ")}` : "",
  ].filter(Boolean);
  const filled = parts.length ? `; ${parts.join(", ")} (GEMM: ${added.gemm}; convolutions: ${added.convolutions})` : "";
  return { available: true, reason: `SIMD, wasm itself single-threaded in Node${filled}` };
}

let detection: Promise<Record<BackendName, BackendStatus>> | null = null;

/** Probes every backend once per process (later calls return the same result). */
export function detectBackends(): Promise<Record<BackendName, BackendStatus>> {
  detection ??= (async () => {
    const before = tf.getBackend();
    const status: Record<BackendName, BackendStatus> = {
      tensorflow: await tryTensorflow(),
      wasm: await tryWasm(),
      cpu: { available: true, reason: "pure JavaScript: correct everywhere, slowest" },
    };
    if (before) await tf.setBackend(before);
    return status;
  })();
  return detection;
}

/** The backend edgelab will use: `EDGELAB_BACKEND` if set and available, else the first available. */
export async function preferredBackend(): Promise<BackendName> {
  const status = await detectBackends();
  const requested = process.env.EDGELAB_BACKEND;
  if (requested) {
    if (!(backendNames as readonly string[]).includes(requested)) {
      throw new Error(`EDGELAB_BACKEND=${requested} is not a backend; choose one of ${backendNames.join(", ")}`);
    }
    const name = requested as BackendName;
    if (!status[name].available) throw new Error(`EDGELAB_BACKEND=${name} is unavailable: ${status[name].reason}`);
    return name;
  }
  return backendNames.find((name) => status[name].available) ?? "cpu";
}

/**
 * Activates a backend (the preferred one by default) and returns its name.
 * @example await useBackend("cpu") // the reference backend, e.g. for parity checks
 */
export async function useBackend(name?: BackendName): Promise<BackendName> {
  const chosen = name ?? (await preferredBackend());
  if (name) {
    const status = (await detectBackends())[name];
    if (!status.available) throw new Error(`backend ${name} is unavailable: ${status.reason}`);
  }
  await tf.setBackend(chosen);
  await tf.ready();
  return chosen;
}

/**
 * The backend to train a model on: the preferred one if it has every kernel the model's training
 * needs, else the next available that does (wasm lacks Conv2DBackpropFilter, so convolutional
 * models fall back to cpu until native kernels fill the gap). Returns the choice and why.
 */
export async function trainingBackend(
  requiredKernels: readonly string[],
): Promise<{ backend: BackendName; reason: string | null }> {
  const status = await detectBackends();
  const preferred = await preferredBackend();
  const lacking = (name: BackendName): string[] => requiredKernels.filter((k) => !tf.getKernel(k, name));
  if (lacking(preferred).length === 0) return { backend: preferred, reason: null };
  if (process.env.EDGELAB_BACKEND) {
    throw new Error(`EDGELAB_BACKEND=${preferred} cannot train this model: it lacks ${lacking(preferred).join(", ")}`);
  }
  const fallback = backendNames.find((name) => status[name].available && lacking(name).length === 0);
  if (!fallback) throw new Error(`no available backend has ${requiredKernels.join(", ")}`);
  return { backend: fallback, reason: `${preferred} lacks ${lacking(preferred).join(", ")}; training on ${fallback}` };
}

/**
 * The environment report: every fact edgelab needs about this machine, detected once per
 * process. `edgelab info` prints it; notebooks show it; everything else asks it.
 */
import { detectBackends, preferredBackend, type BackendName, type BackendStatus } from "./backends";
import { readDevice, type DeviceInfo } from "./device";
import { packageVersion, probeLibrary } from "../native/libraries";
import { threadConfig, type ThreadConfig } from "./threads";

/** Everything `edgelab info` reports: the device facts flat at the top level, plus the software. */
export interface Environment extends DeviceInfo {
  node: string;
  edgelab: string;
  /** The tfjs backend edgelab uses. */
  backend: BackendName;
  backends: Record<BackendName, BackendStatus>;
  threads: ThreadConfig;
  /** Loaded MPI library soname, or null. */
  mpi: string | null;
  /** Loaded BLAS library soname, or null. */
  blas: string | null;
  /** Loaded oneDNN soname (convolutions), or null. */
  dnnl: string | null;
  /** Loaded libxgboost soname, or null. */
  xgboost: string | null;
  /** onnxruntime-node version, or null. */
  onnxruntime: string | null;
  /** Why optional pieces are missing, keyed by feature. */
  notes: Record<string, string>;
}

let cached: Promise<Environment> | null = null;

/** Detects the environment (once per process). */
export function environment(): Promise<Environment> {
  cached ??= (async () => {
    const device = readDevice();
    const mpi = probeLibrary("mpi");
    const blas = probeLibrary("blas");
    const xgboost = probeLibrary("xgboost");
    const dnnl = probeLibrary("dnnl");
    const notes: Record<string, string> = {};
    if (mpi.reason) notes.mpi = `distributed training disabled: ${mpi.reason}`;
    if (blas.reason) notes.blas = `native BLAS kernels disabled: ${blas.reason}`;
    if (dnnl.reason) notes.dnnl = `oneDNN convolutions disabled (im2col + BLAS instead): ${dnnl.reason}`;
    if (xgboost.reason) notes.xgboost = `XGBoost baseline disabled: ${xgboost.reason}`;
    const onnxruntime = packageVersion("onnxruntime-node");
    if (onnxruntime === null) notes.onnxruntime = "onnxruntime-node is not installed: run npm ci";
    return {
      ...device,
      node: process.version,
      edgelab: packageVersion("edgelab") ?? "dev",
      backend: await preferredBackend(),
      backends: await detectBackends(),
      threads: threadConfig(),
      mpi: mpi.library,
      blas: blas.library,
      dnnl: dnnl.library,
      xgboost: xgboost.library,
      onnxruntime,
      notes,
    };
  })();
  return cached;
}

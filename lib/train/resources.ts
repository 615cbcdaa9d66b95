/** Memory and CPU of a training run as a callback: each epoch's peak RSS and CPU share go into its log. */
import { ResourceSampler, type ResourceSummary } from "../metrics/sampler";
import type { TrainingCallback } from "./config";

/** The callback, plus the whole run's figures once training has ended. */
export interface ResourceUsage extends TrainingCallback {
  /** The run's peak RSS and mean CPU (evaluation included), after `onTrainEnd`. */
  run(): ResourceSummary | null;
}

/** Samples every `intervalMs` over the run and over each epoch; fills `peakRssMB` and `cpuPercent` of each log. */
export function resourceUsage(intervalMs = 500): ResourceUsage {
  let whole: ResourceSampler | null = null;
  let epoch: ResourceSampler | null = null;
  let summary: ResourceSummary | null = null;
  return {
    onTrainBegin() {
      whole = new ResourceSampler(intervalMs).start();
    },
    onEpochBegin() {
      epoch = new ResourceSampler(intervalMs).start();
    },
    onEpochEnd(log) {
      const resources = epoch?.stop();
      epoch = null;
      if (!resources) return;
      log.peakRssMB = resources.peakRssMB;
      log.cpuPercent = resources.meanCpuPercent;
    },
    onTrainEnd() {
      epoch?.stop();
      summary = whole?.stop() ?? null;
    },
    run: () => summary,
  };
}

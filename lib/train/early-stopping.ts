/** Early stopping as a training callback: stop when a validation metric has not improved for `patience` epochs. */
import type { TrainingCallback } from "./config";

/** Which metric, and how many epochs without improvement end the run. */
export interface EarlyStoppingConfig {
  metric: "valLoss" | "valMacroF1";
  patience: number;
}

/**
 * Tracks the best value of `metric` in the run's state (checkpointed, so a resume keeps counting)
 * and asks to stop once `patience` epochs have passed without improving on it.
 */
export function earlyStopping(config: EarlyStoppingConfig): TrainingCallback {
  return {
    onEpochEnd(log, state) {
      const value = config.metric === "valLoss" ? -log.valLoss : log.valMacroF1;
      const best = state.best;
      state.best =
        !best || value > best.value ? { value, epoch: log.epoch, waited: 0 } : { ...best, waited: best.waited + 1 };
      if (state.best.waited >= config.patience) state.stopRequested = true;
    },
  };
}

/**
 * Learning-rate schedules as pure functions of the step: constant, step decay, cosine, each with
 * an optional linear warm-up (Goyal et al. 2017: ramp from lr/warmupSteps to lr).
 */

/** A schedule as plain, serialisable config. */
export type Schedule =
  | { kind: "constant" }
  | { kind: "step"; everySteps: number; factor: number }
  | { kind: "cosine"; totalSteps: number; minFactor?: number };

/** Learning rate at `step` (0-based) for base rate `lr`, with `warmupSteps` of linear warm-up. */
export function learningRateAt(schedule: Schedule, lr: number, step: number, warmupSteps = 0): number {
  if (warmupSteps > 0 && step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  const s = step - warmupSteps;
  switch (schedule.kind) {
    case "constant":
      return lr;
    case "step":
      return lr * Math.pow(schedule.factor, Math.floor(s / schedule.everySteps));
    case "cosine": {
      const total = Math.max(1, schedule.totalSteps - warmupSteps);
      const min = schedule.minFactor ?? 0;
      const progress = Math.min(1, s / total);
      return lr * (min + (1 - min) * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
  }
}

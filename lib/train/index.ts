/** Training: the engine, batches, evaluation, schedules, class weights, checkpoints, projections. */
export * from "./adam";
export * from "./batches";
export * from "./checkpoint";
export * from "./class-weights";
export * from "./clip";
export * from "./engine";
export * from "./evaluate";
export * from "./progress";
export * from "./projection";
export * from "./schedule";
export * from "./tabnet";
export * from "./tabnet-checkpoint";
export * from "./xgboost-checkpoint";
export * from "./tabular-baselines";

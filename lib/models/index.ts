/** Models with typed configs, parameter counts and a registry by name. */
export * from "./cnn";
export * from "./dropout";
export * from "./mlp";
export * from "./registry";
export * from "./sentinelnet";
export * from "./sparsemax";
export * from "./squeezenet";
export * from "./tabnet";
export * from "./tabnet-state";
export * from "./xgboost";

/** Models with typed configs, parameter counts and a registry by name. */
export * from "./dropout";
export * from "./mlp";
export * from "./registry";
export * from "./sentinelnet";
export * from "./squeezenet";
export * from "./xgboost";

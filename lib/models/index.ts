/** Models with typed configs and parameter counts. */
export * from "./mlp";

/** Deterministic random numbers shared by data splits, sharding, synthetic data and training. */
export { permutation, Rng } from "./rng";

/** Data loading in the real formats (IDX, CIFAR-10, CICIDS2017), synthetic stand-ins, splits and standardisation. */
export * from "./cicids-schema";
export * from "./cicids2017";
export * from "./cifar10";
export * from "./cifar10-write";
export * from "./dataset";
export * from "./detect";
export * from "./errors";
export * from "./idx";
export * from "./inspect";
export * from "./mnist";
export * from "./pad";
export * from "./pickle";
export * from "./read-file";
export * from "./registry";
export * from "./split";
export * from "./standardize";
export * from "./synthetic";

/** Training loops. */
export * from "./classifier";

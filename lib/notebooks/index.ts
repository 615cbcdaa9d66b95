/** Headless notebook execution (what `npm start` and the notebook tests run). */
export * from "./execute";

/** Headless notebook execution (what `npm start` and the notebook tests run). */
export {
  executeNotebook,
  type ExecuteOptions,
  listNotebooks,
  notebookPython,
  type NotebookRun,
  writeProjectKernel,
} from "./execute";

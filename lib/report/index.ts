/** Reporting: Plotly figures (inline, offline HTML, PNG), tables (CSV/HTML/text), atomic writes. */
export * from "./atomic";
export * from "./figure";
export * from "./html";
export * from "./lock";
export * from "./notebook";
export * from "./png";
export * from "./save";
export * from "./table";

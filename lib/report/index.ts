/** Reporting: Plotly figures (inline, offline HTML, PNG), tables (CSV/HTML/text), atomic writes. */
export { writeFileAtomic, writeJsonAtomic } from "./atomic";
export {
  barFigure,
  boxFigure,
  confusionHeatmap,
  type Figure,
  type FigureLabels,
  heatmapFigure,
  lineFigure,
  scatterFigure,
  type Series,
  type Trace,
} from "./figure";
export { figureHtml, type PlotlyMode, saveFigureHtml } from "./html";
export { lockFolder } from "./lock";
export { inNotebook, liveDisplay, showFigure, showMarkdown, showTable } from "./notebook";
export { findChromium, saveFigurePng } from "./png";
export { type SavedFigure, saveFigure } from "./save";
export { type Row, toCsv, toHtmlTable, toTextTable, writeCsv } from "./table";

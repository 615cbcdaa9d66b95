/**
 * Plotly figure builders. A figure is plain JSON (`{data, layout}`), so it can be shown in a
 * notebook, saved as offline HTML or PNG, or handed to any Plotly front end unchanged.
 */

/** A Plotly trace; only the fields edgelab sets are typed, the rest pass through. */
export interface Trace {
  type: "scatter" | "bar" | "heatmap" | "box" | "histogram";
  name?: string;
  x?: (number | string)[];
  y?: (number | string)[];
  z?: number[][];
  mode?: string;
  text?: string[] | string[][];
  [key: string]: unknown;
}

/** A Plotly figure. */
export interface Figure {
  data: Trace[];
  layout: Record<string, unknown>;
}

/** One named series of a line or scatter figure. */
export interface Series {
  name: string;
  x: (number | string)[];
  y: number[];
}

/** Axis titles and figure title. */
export interface FigureLabels {
  title: string;
  xTitle?: string;
  yTitle?: string;
  /** Log-scale axes. */
  logX?: boolean;
  logY?: boolean;
}

function baseLayout(labels: FigureLabels): Record<string, unknown> {
  return {
    title: { text: labels.title },
    xaxis: { title: { text: labels.xTitle ?? "" }, type: labels.logX ? "log" : undefined },
    yaxis: { title: { text: labels.yTitle ?? "" }, type: labels.logY ? "log" : undefined },
    template: "plotly_white",
    margin: { l: 60, r: 20, t: 50, b: 50 },
    width: 720,
    height: 420,
  };
}

/** Lines with markers, one trace per series. */
export function lineFigure(series: Series[], labels: FigureLabels): Figure {
  return {
    data: series.map((s) => ({ type: "scatter", mode: "lines+markers", name: s.name, x: s.x, y: s.y })),
    layout: baseLayout(labels),
  };
}

/** Markers only, one trace per series. */
export function scatterFigure(series: Series[], labels: FigureLabels): Figure {
  return {
    data: series.map((s) => ({ type: "scatter", mode: "markers", name: s.name, x: s.x, y: s.y })),
    layout: baseLayout(labels),
  };
}

/** Grouped bars, one trace per series. */
export function barFigure(series: Series[], labels: FigureLabels): Figure {
  const fig: Figure = {
    data: series.map((s) => ({ type: "bar", name: s.name, x: s.x, y: s.y })),
    layout: baseLayout(labels),
  };
  fig.layout.barmode = "group";
  return fig;
}

/**
 * A confusion-matrix heatmap: rows are true labels, columns predicted; cells show counts and
 * colour shows the row-normalised rate (so rare classes are as visible as common ones).
 */
export function confusionHeatmap(matrix: number[][], classNames: string[], title = "Confusion matrix"): Figure {
  const rates = matrix.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (total > 0 ? v / total : 0));
  });
  const size = Math.max(420, 60 + classNames.length * 38);
  return {
    data: [
      {
        type: "heatmap",
        x: classNames,
        y: classNames,
        z: rates,
        text: matrix.map((row) => row.map(String)),
        texttemplate: "%{text}",
        hovertemplate: "true %{y}<br>predicted %{x}<br>count %{text}<br>row rate %{z:.3f}<extra></extra>",
        // Explicit light→dark scale: Plotly's named "Blues" runs dark→light.
        colorscale: [
          [0, "#f7fbff"],
          [0.25, "#c6dbef"],
          [0.5, "#6baed6"],
          [0.75, "#2171b5"],
          [1, "#08306b"],
        ],
        zmin: 0,
        zmax: 1,
        colorbar: { title: { text: "recall" } },
      },
    ],
    layout: {
      ...baseLayout({ title, xTitle: "predicted", yTitle: "true" }),
      yaxis: { title: { text: "true" }, autorange: "reversed" },
      width: size + 120,
      height: size,
    },
  };
}

/** Box plots, one per named distribution (latencies, per-rank times). */
export function boxFigure(series: { name: string; values: number[] }[], labels: FigureLabels): Figure {
  return {
    data: series.map((s) => ({ type: "box", name: s.name, y: s.values, boxpoints: "outliers" })),
    layout: { ...baseLayout(labels), showlegend: false },
  };
}

/** A plain heatmap of `z` (rows × columns), e.g. TabNet's per-sample feature masks. */
export function heatmapFigure(z: number[][], columns: string[], rows: string[], labels: FigureLabels): Figure {
  return {
    data: [
      {
        type: "heatmap",
        x: columns,
        y: rows,
        z,
        colorscale: [
          [0, "#ffffff"],
          [1, "#08306b"],
        ],
        hovertemplate: "%{y}<br>%{x}<br>%{z:.3f}<extra></extra>",
      },
    ],
    layout: {
      ...baseLayout(labels),
      width: Math.max(720, 60 + columns.length * 12),
      height: Math.max(360, 80 + rows.length * 12),
      xaxis: { tickangle: -60, automargin: true },
      yaxis: { automargin: true },
    },
  };
}

// Renders a DashboardSpec as Grafana dashboard JSON (schemaVersion 39: Grafana 10.4 / 11 import it as is).
import type { DashboardSpec, PanelSpec } from "./dashboards.js";

/** Grafana's dashboard schema version these files are written in. */
export const grafanaSchemaVersion = 39;

const datasource = { type: "prometheus", uid: "${datasource}" } as const;
const panelWidth = 12;
const panelHeight = 8;

function panelJson(panel: PanelSpec, id: number): Record<string, unknown> {
  const type = panel.type ?? "timeseries";
  const index = id - 1;
  return {
    id,
    type,
    title: panel.title,
    ...(panel.description ? { description: panel.description } : {}),
    datasource,
    gridPos: { h: panelHeight, w: panelWidth, x: (index % 2) * panelWidth, y: Math.floor(index / 2) * panelHeight },
    fieldConfig: { defaults: { unit: panel.unit ?? "short" }, overrides: [] },
    options:
      type === "stat"
        ? { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "value", graphMode: "area", textMode: "auto" }
        : { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "desc" } },
    targets: [{ refId: "A", datasource, expr: panel.expr, legendFormat: panel.legend ?? "__auto", range: true }],
  };
}

/** The dashboard as Grafana's JSON model, with a Prometheus data source variable. */
export function grafanaDashboard(spec: DashboardSpec): Record<string, unknown> {
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ["kubeplane"],
    editable: true,
    graphTooltip: 1,
    schemaVersion: grafanaSchemaVersion,
    version: 1,
    time: { from: "now-1h", to: "now" },
    refresh: "30s",
    timezone: "utc",
    annotations: { list: [] },
    links: [],
    templating: {
      list: [{ name: "datasource", label: "Data source", type: "datasource", query: "prometheus", current: {}, hide: 0, refresh: 1 }],
    },
    panels: spec.panels.map((p, i) => panelJson(p, i + 1)),
  };
}

/** The file text of a dashboard: two-space JSON with a final newline, so generated files diff well. */
export function dashboardFileText(spec: DashboardSpec): string {
  return `${JSON.stringify(grafanaDashboard(spec), null, 2)}\n`;
}

// Public surface of @kubeplane/observability: scrape config rendering, the dashboards' single source of queries, rule locations.
export { dashboards, type DashboardSpec, type PanelSpec, type PanelUnit } from "./dashboards.js";
export { dashboardFileText, grafanaDashboard, grafanaSchemaVersion } from "./grafana.js";
export { generatedDashboards, staleDashboards } from "./generate-dashboards.js";
export { jobForComponent, jobs, type JobName } from "./jobs.js";
export { dashboardsDir, packageRoot, ruleTestsDir, rulesDir } from "./paths.js";
export {
  PrometheusConfigError,
  renderPrometheusConfig,
  type PrometheusConfigOptions,
  type ScrapeJob,
  type ScrapeTarget,
  type ScrapeTls,
} from "./prometheus-config.js";
export { parseJobFlags } from "./render-prometheus-config.js";

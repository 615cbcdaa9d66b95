/** Live scoring of PAN-OS firewall logs: syslog framing, PAN-OS log layouts, the panos features, the service, replay. */
export { type FeatureProblem, panosFeatures, panosFeatureSources, trafficFieldsFromFlow } from "./features";
export { latencyBucketsMs, prometheusText, ServiceMetrics } from "./metrics";
export { panosLayouts, type PanosLog, type PanosProblem, parsePanos, splitPanosCsv } from "./panos";
export {
  parseTarget,
  replayFlows,
  type ReplayOptions,
  type ReplaySummary,
  type SyslogFormat,
  syslogLine,
  trafficLogLine,
  trafficLogLineFromFlow,
} from "./replay";
export { type Alert, type Endpoint, FirewallService, type ServiceOptions, type ServiceSummary } from "./service";
export { parseSyslog, type SyslogMessage, type SyslogProblem, SyslogStreamFramer } from "./syslog";

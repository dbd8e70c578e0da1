export { createMetrics, resolveMetrics, METER_NAME, type Metrics, type MetricsConfig, type ResolvedMetrics, type OtlpProtocol } from './metrics';
export { SparkMetricsObserver, type SparkMetricsOptions } from './spark-metrics';
export { SidecarMetrics, type SidecarSources, type TraceStatsView } from './sidecar-metrics';
export { startPrometheusServer, PROMETHEUS_CONTENT_TYPE, type PrometheusServer, type PrometheusServerOptions } from './prometheus-server';
export { SIDECAR_METRICS, SPARK_METRICS, OFFSETS_METRICS, ALL_METRICS, APP_LABELS, prometheusName, prometheusLabel, type MetricInfo, type MetricType } from './catalog';
export { parsePrometheusText, type PromSample, type PromFamily } from './prom-text';
export { OffsetMetrics, type OffsetsView, type GroupLagView } from './offset-metrics';
export { metricsConfigSchema, type MetricsSectionConfig, type MetricsSectionInput } from './config';

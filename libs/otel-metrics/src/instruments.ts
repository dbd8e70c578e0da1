// Creates instruments from catalog entries, so names, units and descriptions live in one place.
import type { Counter, Histogram, Meter, ObservableCounter, ObservableGauge } from '@opentelemetry/api';
import type { MetricInfo } from './catalog';

export function counter(meter: Meter, info: MetricInfo): Counter {
  return meter.createCounter(info.name, { unit: info.unit, description: info.description });
}

export function histogram(meter: Meter, info: MetricInfo): Histogram {
  return meter.createHistogram(info.name, { unit: info.unit, description: info.description, advice: info.buckets ? { explicitBucketBoundaries: info.buckets } : undefined });
}

export function observableCounter(meter: Meter, info: MetricInfo): ObservableCounter {
  return meter.createObservableCounter(info.name, { unit: info.unit, description: info.description });
}

export function observableGauge(meter: Meter, info: MetricInfo): ObservableGauge {
  return meter.createObservableGauge(info.name, { unit: info.unit, description: info.description });
}

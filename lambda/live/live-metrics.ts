import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { LIVE } from '#contracts/live';

/*
 * The live domain's custom metrics (LIVE.metrics), written as CloudWatch embedded metric format in the
 * function's log: no API call, so counting a failure cannot fail the request. The live stack alarms on them.
 */
const metrics = new Metrics({ namespace: LIVE.metrics.namespace, serviceName: LIVE.metrics.service });

/** Counts `value` of a live metric now (a Lambda may freeze before any later flush). */
export function countLiveMetric(
  name: (typeof LIVE.metrics)['quizSendFailures' | 'reconcileErrors'],
  value: number,
): void {
  metrics.addMetric(name, MetricUnit.Count, value);
  metrics.publishStoredMetrics();
}

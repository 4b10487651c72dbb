import { Duration } from 'aws-cdk-lib';
import {
  ComparisonOperator,
  MathExpression,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { GraphWidgetType, type MonitoringFacade } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { LIVE } from '#contracts/live';

/**
 * The live handlers' own metrics. They are emitted with Powertools Metrics, whose namespace the live functions
 * get from `POWERTOOLS_METRICS_NAMESPACE` and which adds the `service` dimension (POWERTOOLS_SERVICE_NAME,
 * `live`); an alarm matches a metric only with exactly its dimensions, so no other dimension may be added.
 */
export const LIVE_METRICS = {
  namespace: LIVE.metrics.namespace,
  dimensions: { service: LIVE.metrics.service },
  quizSendFailures: LIVE.metrics.quizSendFailures,
  reconcileErrors: LIVE.metrics.reconcileErrors,
} as const;

// IVS publishes per minute; the account-wide series have no dimension, the per-channel ones `Channel`.
const IVS_PERIOD = Duration.minutes(1);
// A quiz learners never saw cannot be sent again in the same moment of the lecture: one is worth a look, now.
const MAX_QUIZ_SEND_FAILURES = 0;
// The sweep runs every minute and IVS throttles at about 5 calls a second, so one error is noise; errors in
// 2 of 3 five-minute periods mean lectures' states drift from IVS.
const MAX_RECONCILE_ERRORS = 0;
// One dead letter is a stream or recording change no lecture learned of, or a sweep that failed as a whole.
const MAX_DEAD_LETTERS = 0;

export interface LiveMonitoringProps {
  /** The monitoring stack's facade: its alarms notify the platform's alarm topic, its widgets join the dashboard. */
  readonly monitoring: MonitoringFacade;
  /** The live stack's dead-letter queues, each with a name for its alarm (no tokens). */
  readonly deadLetterQueues: readonly { readonly name: string; readonly queue: IQueue }[];
}

/**
 * Live lectures on the dashboard and in the alarms: IVS's concurrent views (all channels, and per channel
 * through a search, since channels come and go with lectures) and live streams, quiz send failures and
 * reconcile errors, and the depth of every dead-letter queue. The live functions' errors and throttles are
 * alarmed with every other platform function.
 */
export class LiveMonitoring extends Construct {
  constructor(scope: Construct, id: string, props: LiveMonitoringProps) {
    super(scope, id);
    const { monitoring } = props;
    const quietWhenMissing = { treatMissingDataOverride: TreatMissingData.NOT_BREACHING };
    const ivsMetric = (metricName: string, label: string) =>
      new Metric({ namespace: 'AWS/IVS', metricName, statistic: Stats.MAXIMUM, period: IVS_PERIOD, label });
    const liveMetric = (metricName: string, label: string) =>
      new Metric({
        namespace: LIVE_METRICS.namespace,
        metricName,
        dimensionsMap: { ...LIVE_METRICS.dimensions },
        statistic: Stats.SUM,
        label,
      });

    monitoring.monitorCustom({
      alarmFriendlyName: 'LiveLectures',
      humanReadableName: 'Live lectures (IVS)',
      metricGroups: [
        {
          title: 'Viewers',
          metrics: [
            ivsMetric('ConcurrentViews', 'All channels'),
            new MathExpression({
              expression: `SEARCH('{AWS/IVS,Channel} MetricName="ConcurrentViews"', 'Maximum', ${IVS_PERIOD.toSeconds()})`,
              usingMetrics: {},
              label: 'Per channel',
              period: IVS_PERIOD,
            }),
          ],
        },
        { title: 'Live streams', metrics: [ivsMetric('ConcurrentStreams', 'Streams')] },
        {
          title: 'Quizzes and reconciliation',
          graphWidgetType: GraphWidgetType.BAR,
          metrics: [
            {
              metric: liveMetric(LIVE_METRICS.quizSendFailures, 'Quiz send failures'),
              alarmFriendlyName: 'QuizSendFailures',
              addAlarm: {
                Critical: {
                  threshold: MAX_QUIZ_SEND_FAILURES,
                  comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
                  alarmDescriptionOverride:
                    'A quiz could not be put on its live channel, so learners did not see it. The send-quiz ' +
                    'logs name the lecture and IVS’s error (PutMetadata: 1 KB, 5 calls a second per channel).',
                  datapointsToAlarm: 1,
                  evaluationPeriods: 1,
                  ...quietWhenMissing,
                },
              },
            },
            {
              metric: liveMetric(LIVE_METRICS.reconcileErrors, 'Reconcile errors'),
              alarmFriendlyName: 'ReconcileErrors',
              addAlarm: {
                Critical: {
                  threshold: MAX_RECONCILE_ERRORS,
                  comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
                  alarmDescriptionOverride:
                    'The sweep keeps failing to reconcile lectures with IVS, so lecture states may be wrong. ' +
                    'The sweep-lectures logs name the lectures and IVS’s errors.',
                  ...quietWhenMissing,
                },
              },
            },
          ],
        },
      ],
    });

    for (const { name, queue } of props.deadLetterQueues) {
      monitoring.monitorSqsQueue({
        queue,
        // Queue names are deploy-time tokens, which alarm names cannot contain.
        alarmFriendlyName: name,
        humanReadableName: name,
        addQueueMaxSizeAlarm: {
          Critical: { maxMessageCount: MAX_DEAD_LETTERS, datapointsToAlarm: 1, evaluationPeriods: 1 },
        },
      });
    }
  }
}

import { CfnOutput, Duration, Stack, StackProps, Token } from 'aws-cdk-lib';
import { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IDistribution } from 'aws-cdk-lib/aws-cloudfront';
import { ComparisonOperator, Dashboard, Metric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { FargateService } from 'aws-cdk-lib/aws-ecs';
import {
  ApplicationLoadBalancer,
  ApplicationTargetGroup,
  HttpCodeElb,
  HttpCodeTarget,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { IFunction } from 'aws-cdk-lib/aws-lambda';
import { IDatabaseInstance } from 'aws-cdk-lib/aws-rds';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { IQueue } from 'aws-cdk-lib/aws-sqs';
import {
  DefaultDashboardFactory,
  GraphWidgetType,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { createAlarmTopic } from '../constructs/alarm-topic';
import { CostBudget, type CostBudgetProps } from '../constructs/cost-budget';
import { LiveMonitoring } from '../constructs/live-monitoring';

// 2 of 3 five-minute periods: a single blip stays quiet, a real incident pages within 10-15 minutes.
const DATAPOINTS_TO_ALARM = 2;
const EVALUATION_PERIODS = 3;

// Above 5% of requests failing server-side, a noticeable share of learners is affected.
const API_MAX_5XX_RATE = 0.05;
// Below this many requests per period one failed request would already be "5%", so the rate alarm waits.
const API_MIN_REQUESTS_FOR_RATE = 20;
// Catches a broken route whose failures hide under the rate threshold on a busy API.
const API_MAX_5XX_COUNT = 10;
// A quarter of requests rejected usually means broken auth or a bad front-end release, not user error.
const API_MAX_4XX_RATE = 0.25;
// p99 includes Lambda cold starts (1-2 s); past 3 s the UI feels broken, far below the 30 s API timeout.
const API_MAX_P99_LATENCY = Duration.seconds(3);

// Handlers turn expected failures into responses, so repeated unhandled errors mean a bug or an outage.
const LAMBDA_MAX_ERRORS_PER_PERIOD = 3;
// Any throttle is a request dropped on the floor: concurrency is exhausted or a reserved limit is too low.
const LAMBDA_MAX_THROTTLES_PER_PERIOD = 0;

// Sustained CPU above 80% leaves no headroom for enrolment peaks and slows every query.
const RDS_MAX_CPU_PERCENT = 80;
// Vacuum and report queries spike CPU briefly, so CPU must stay high for the full 15 minutes.
const RDS_CPU_DATAPOINTS = 3;
// 5 GiB leaves time to grow the volume; RDS allows one storage change per 6 hours and halts writes when full.
const RDS_MIN_FREE_STORAGE_GIB = 5;

// The same bar as the API's 5xx count: more than this many errors from the service is a bug or an outage.
const SERVICE_MAX_TARGET_5XX_COUNT = 10;
// 5xx the ALB makes itself (502/503/504) mean no healthy task or tasks dropping connections, not one bad request.
const SERVICE_MAX_ELB_5XX_COUNT = 5;
// No cold starts behind the ALB: a p99 past 1 s is slow queries or saturated tasks, a third of the API's budget.
const SERVICE_MAX_P99_RESPONSE_TIME = Duration.seconds(1);
// Autoscaling targets 60% CPU, so sustained 85% means it is at maxTasks or cannot keep up.
const SERVICE_MAX_CPU_PERCENT = 85;
// Past 85% of the task's memory, Node is close to being killed for running out of memory.
const SERVICE_MAX_MEMORY_PERCENT = 85;
// Rolling deploys start new tasks before draining old ones, so any task failing its checks for 10 minutes is real.
const SERVICE_MAX_UNHEALTHY_TASKS = 0;
// One dead letter is one video whose state the service never recorded: someone must look at it.
const EVENTS_MAX_DEAD_LETTERS = 0;
// The consumer long-polls continuously, so an event waiting 10 minutes means the consumer is down.
const EVENTS_MAX_AGE = Duration.minutes(10);

// Every errored transcoding job is a lecture learners cannot watch, and instructors upload rarely, so one is
// worth a look (the instructor also sees it fail); a single datapoint alarms, as a second may never come.
const VOD_MAX_ERRORED_JOBS = 0;
// One dead letter is an upload that never became a job, or a finished job the core service never heard of.
const VOD_MAX_DEAD_LETTERS = 0;
// CloudFront reports 5xxErrorRate in percent. Above 5% of playback requests failing, players stall visibly.
export const PLAYBACK_MAX_5XX_PERCENT = 5;
// CloudFront publishes its metrics only in us-east-1, and a CloudWatch alarm can watch only metrics of its
// own region (CloudWatch has no cross-region alarms; aws-cdk-lib refuses such an alarm at synth).
export const CLOUDFRONT_METRICS_REGION = 'us-east-1';

// CloudWatch dashboard names allow only these characters, and alarm names reuse the same prefix.
const NAME_PREFIX_PATTERN = /^[A-Za-z0-9_-]+$/;

export interface MonitoringStackProps extends StackProps {
  /** Prefix of the alarms' names, unique among the account's platforms in a region. */
  readonly namePrefix: string;
  /**
   * Prefix of the dashboards' names, which are unique in the whole account: the region tells apart one
   * platform's copies in two regions. May be a token (the region of an environment-agnostic stack).
   * @default namePrefix
   */
  readonly dashboardNamePrefix?: string;
  /** Who the alarm topic and the budget e-mail: one address or several. */
  readonly alarmEmail: string | readonly string[];
  readonly httpApi: IHttpApi;
  /** Every Lambda of the platform. */
  readonly functions: readonly IFunction[];
  readonly database: IDatabaseInstance;
  /**
   * The core REST service on Fargate and its internal load balancer.
   * @default - no service widgets or alarms
   */
  readonly coreService?: CoreServiceMonitoringTarget;
  /**
   * The video pipeline: transcoding jobs, its dead letters and the playback distribution.
   * @default - no video widgets or alarms (the institution has `features.video` off)
   */
  readonly vod?: VodMonitoringTarget;
  /**
   * The access projection's queue of core facts, and where the ones it could not apply end up.
   * @default - no projection widgets or alarms
   */
  readonly accessProjection?: { readonly queue: IQueue; readonly deadLetterQueue: IQueue };
  /**
   * The users domain's queue of member facts, and where the ones it could not apply end up.
   * @default - no group sync widgets or alarms
   */
  readonly groupSync?: { readonly queue: IQueue; readonly deadLetterQueue: IQueue };
  /**
   * The certificate issuer's queue and its dead-letter queue.
   * @default - no certificate widgets or alarms
   */
  readonly certificateIssuer?: { readonly queue: IQueue; readonly deadLetterQueue: IQueue };
  /**
   * The notifier's queue and its dead-letter queue.
   * @default - no notification widgets or alarms
   */
  readonly notifier?: { readonly queue: IQueue; readonly deadLetterQueue: IQueue };
  /**
   * Live lectures: the live stack's dead-letter queues (its functions are among `functions`).
   * @default - no live widgets or alarms (the institution has `features.liveLectures` off)
   */
  readonly live?: LiveMonitoringTarget;
  /**
   * A monthly cost budget over the platform's tagged resources, e-mailing `alarmEmail`.
   * @default - no budget
   */
  readonly budget?: Omit<CostBudgetProps, 'emails'>;
}

/** What the monitoring stack needs of the live stack. */
export interface LiveMonitoringTarget {
  /** Each with a name for its alarm (no tokens). */
  readonly deadLetterQueues: readonly { readonly name: string; readonly queue: IQueue }[];
}

/** What the monitoring stack needs of the video pipeline. */
export interface VodMonitoringTarget {
  readonly distribution: IDistribution;
  /** ARN of the MediaConvert queue the pipeline's jobs run in (the dimension of its metrics). */
  readonly mediaConvertQueueArn: string;
  /** Upload events that started no transcoding job. */
  readonly transcodeDeadLetterQueue: IQueue;
  /** Job state changes that never reached the platform bus. */
  readonly jobStateDeadLetterQueue: IQueue;
}

/** What the monitoring stack needs of the core service. */
export interface CoreServiceMonitoringTarget {
  readonly service: FargateService;
  readonly loadBalancer: ApplicationLoadBalancer;
  readonly targetGroup: ApplicationTargetGroup;
  /** The events it consumes, and where the ones it could not handle end up. */
  readonly eventsQueue: IQueue;
  readonly eventsDeadLetterQueue: IQueue;
}

/**
 * One dashboard and the alarms for the platform's HTTP API, Lambda functions, core service and database,
 * all notifying an encrypted e-mail topic.
 */
export class MonitoringStack extends Stack {
  public readonly alarmTopic: Topic;
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);

    if (!Token.isUnresolved(props.namePrefix) && !NAME_PREFIX_PATTERN.test(props.namePrefix)) {
      throw new Error(`namePrefix must match ${NAME_PREFIX_PATTERN}, got '${props.namePrefix}'`);
    }

    this.alarmTopic = createAlarmTopic(this, props.alarmEmail);
    if (props.budget)
      new CostBudget(this, 'CostBudget', {
        ...props.budget,
        emails: typeof props.alarmEmail === 'string' ? [props.alarmEmail] : props.alarmEmail,
      });

    const dashboards = new DefaultDashboardFactory(this, 'Dashboards', {
      dashboardNamePrefix: props.dashboardNamePrefix ?? props.namePrefix,
    });
    const monitoring = new MonitoringFacade(this, 'Monitoring', {
      alarmFactoryDefaults: {
        alarmNamePrefix: props.namePrefix,
        actionsEnabled: true,
        // OK notifications too: with e-mail as the only channel, nobody learns of recovery otherwise.
        action: new SnsAlarmActionStrategy({ onAlarmTopic: this.alarmTopic, onOkTopic: this.alarmTopic }),
        datapointsToAlarm: DATAPOINTS_TO_ALARM,
        evaluationPeriods: EVALUATION_PERIODS,
      },
      dashboardFactory: dashboards,
    });

    monitoring.monitorApiGatewayV2HttpApi({
      api: props.httpApi,
      // The API's own name and ID are deploy-time tokens, which alarm names cannot contain.
      alarmFriendlyName: 'HttpApi',
      humanReadableName: 'HTTP API',
      add5xxRateAlarm: {
        Critical: {
          maxErrorRate: API_MAX_5XX_RATE,
          minSampleCountToEvaluateDatapoint: API_MIN_REQUESTS_FOR_RATE,
        },
      },
      add5xxCountAlarm: { Critical: { maxErrorCount: API_MAX_5XX_COUNT } },
      add4xxRateAlarm: {
        Warning: {
          maxErrorRate: API_MAX_4XX_RATE,
          minSampleCountToEvaluateDatapoint: API_MIN_REQUESTS_FOR_RATE,
        },
      },
      addLatencyP99Alarm: { Critical: { maxLatency: API_MAX_P99_LATENCY } },
    });

    for (const [fn, alarmFriendlyName] of uniqueFriendlyNames(props.functions)) {
      monitoring.monitorLambdaFunction({
        lambdaFunction: fn,
        alarmFriendlyName,
        // No platform function consumes a stream, so iterator-age charts would only ever be empty.
        isIterator: false,
        addFaultCountAlarm: { Critical: { maxErrorCount: LAMBDA_MAX_ERRORS_PER_PERIOD } },
        addThrottlesCountAlarm: { Critical: { maxErrorCount: LAMBDA_MAX_THROTTLES_PER_PERIOD } },
      });
    }

    // No connection-count alarm: max_connections follows the instance class, which IDatabaseInstance
    // does not expose, so any fixed threshold would be wrong for some institution. The dashboard shows it.
    monitoring.monitorRdsInstance({
      instance: props.database,
      alarmFriendlyName: 'Database',
      humanReadableName: 'Database',
      addCpuUsageAlarm: {
        Critical: {
          maxUsagePercent: RDS_MAX_CPU_PERCENT,
          datapointsToAlarm: RDS_CPU_DATAPOINTS,
          evaluationPeriods: RDS_CPU_DATAPOINTS,
        },
      },
      addFreeStorageSpaceAlarm: {
        Critical: {
          // FreeStorageSpace is reported in bytes.
          minCount: RDS_MIN_FREE_STORAGE_GIB * 1024 ** 3,
          alarmDescriptionOverride:
            `Free storage on the database is below ${RDS_MIN_FREE_STORAGE_GIB} GiB. ` +
            'Increase allocated storage before writes stop.',
        },
      },
    });

    if (props.coreService) {
      this.monitorCoreService(monitoring, props.coreService);
    }
    if (props.vod) {
      this.monitorVod(monitoring, props.vod);
    }
    if (props.live) {
      new LiveMonitoring(this, 'Live', { monitoring, deadLetterQueues: props.live.deadLetterQueues });
    }
    if (props.accessProjection) {
      // A fact left unapplied is an upload or a playback refused to someone entitled to it, or allowed to
      // someone who no longer is: the same bars as the core's own events.
      monitoring.monitorSqsQueueWithDlq({
        queue: props.accessProjection.queue,
        deadLetterQueue: props.accessProjection.deadLetterQueue,
        alarmFriendlyName: 'AccessProjection',
        humanReadableName: 'Access projection',
        addQueueMaxMessageAgeAlarm: { Critical: { maxAgeInSeconds: EVENTS_MAX_AGE.toSeconds() } },
        addDeadLetterQueueMaxSizeAlarm: { Critical: { maxMessageCount: EVENTS_MAX_DEAD_LETTERS } },
      });
    }

    if (props.groupSync) {
      // A fact left unapplied is a role someone keeps after losing it, or lacks after being given it.
      monitoring.monitorSqsQueueWithDlq({
        queue: props.groupSync.queue,
        deadLetterQueue: props.groupSync.deadLetterQueue,
        alarmFriendlyName: 'GroupSync',
        humanReadableName: 'Cognito group sync',
        addQueueMaxMessageAgeAlarm: { Critical: { maxAgeInSeconds: EVENTS_MAX_AGE.toSeconds() } },
        addDeadLetterQueueMaxSizeAlarm: { Critical: { maxMessageCount: EVENTS_MAX_DEAD_LETTERS } },
      });
    }

    if (props.certificateIssuer) {
      // A completion left without its certificate is a learner who cannot prove it.
      monitoring.monitorSqsQueueWithDlq({
        queue: props.certificateIssuer.queue,
        deadLetterQueue: props.certificateIssuer.deadLetterQueue,
        alarmFriendlyName: 'CertificateIssuer',
        humanReadableName: 'Certificate issuer',
        addQueueMaxMessageAgeAlarm: { Critical: { maxAgeInSeconds: EVENTS_MAX_AGE.toSeconds() } },
        addDeadLetterQueueMaxSizeAlarm: { Critical: { maxMessageCount: EVENTS_MAX_DEAD_LETTERS } },
      });
    }

    if (props.notifier) {
      // A fact left untold is a learner who misses a lecture or a deadline, or a request nobody answers.
      monitoring.monitorSqsQueueWithDlq({
        queue: props.notifier.queue,
        deadLetterQueue: props.notifier.deadLetterQueue,
        alarmFriendlyName: 'Notifier',
        humanReadableName: 'Notifications',
        addQueueMaxMessageAgeAlarm: { Critical: { maxAgeInSeconds: EVENTS_MAX_AGE.toSeconds() } },
        addDeadLetterQueueMaxSizeAlarm: { Critical: { maxMessageCount: EVENTS_MAX_DEAD_LETTERS } },
      });
    }

    const dashboard = dashboards.createdDashboard();
    if (!dashboard) {
      throw new Error('cdk-monitoring-constructs did not create the default dashboard');
    }
    this.dashboard = dashboard;
    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboardName });
  }

  private monitorCoreService(monitoring: MonitoringFacade, core: CoreServiceMonitoringTarget): void {
    // The service's, cluster's and load balancer's names are deploy-time tokens, which alarm names cannot contain.
    monitoring.monitorFargateApplicationLoadBalancer({
      fargateService: core.service,
      applicationLoadBalancer: core.loadBalancer,
      applicationTargetGroup: core.targetGroup,
      alarmFriendlyName: 'CoreService',
      humanReadableName: 'Core service',
      addCpuUsageAlarm: { Critical: { maxUsagePercent: SERVICE_MAX_CPU_PERCENT } },
      addMemoryUsageAlarm: { Critical: { maxUsagePercent: SERVICE_MAX_MEMORY_PERCENT } },
      addUnhealthyTaskCountAlarm: { Critical: { maxUnhealthyTasks: SERVICE_MAX_UNHEALTHY_TASKS } },
    });

    monitoring.monitorSqsQueueWithDlq({
      queue: core.eventsQueue,
      deadLetterQueue: core.eventsDeadLetterQueue,
      alarmFriendlyName: 'CoreServiceEvents',
      humanReadableName: 'Core service events',
      addQueueMaxMessageAgeAlarm: { Critical: { maxAgeInSeconds: EVENTS_MAX_AGE.toSeconds() } },
      addDeadLetterQueueMaxSizeAlarm: { Critical: { maxMessageCount: EVENTS_MAX_DEAD_LETTERS } },
    });

    // This version of cdk-monitoring-constructs has no ALB request metrics, so they are custom metrics.
    const { metrics } = core.loadBalancer;
    // Count metrics are absent, not zero, while nothing fails; absent must read as healthy.
    const quietWhenMissing = { treatMissingDataOverride: TreatMissingData.NOT_BREACHING };
    monitoring.monitorCustom({
      alarmFriendlyName: 'CoreServiceAlb',
      humanReadableName: 'Core service load balancer',
      metricGroups: [
        {
          title: 'Server errors',
          graphWidgetType: GraphWidgetType.BAR,
          metrics: [
            {
              metric: metrics.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, {
                statistic: Stats.SUM,
                label: 'Service 5xx',
              }),
              alarmFriendlyName: 'Target5xx',
              addAlarm: {
                Critical: {
                  threshold: SERVICE_MAX_TARGET_5XX_COUNT,
                  comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
                  ...quietWhenMissing,
                },
              },
            },
            {
              metric: metrics.httpCodeElb(HttpCodeElb.ELB_5XX_COUNT, {
                statistic: Stats.SUM,
                label: 'Load balancer 5xx',
              }),
              alarmFriendlyName: 'Elb5xx',
              addAlarm: {
                Critical: {
                  threshold: SERVICE_MAX_ELB_5XX_COUNT,
                  comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
                  ...quietWhenMissing,
                },
              },
            },
          ],
        },
        {
          title: 'Response time',
          metrics: [
            {
              // TargetResponseTime is reported in seconds.
              metric: metrics.targetResponseTime({ statistic: Stats.p(99), label: 'p99' }),
              alarmFriendlyName: 'ResponseTimeP99',
              addAlarm: {
                Critical: {
                  threshold: SERVICE_MAX_P99_RESPONSE_TIME.toSeconds(),
                  comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
                  ...quietWhenMissing,
                },
              },
            },
          ],
        },
      ],
    });
  }

  private monitorVod(monitoring: MonitoringFacade, vod: VodMonitoringTarget): void {
    const quietWhenMissing = { treatMissingDataOverride: TreatMissingData.NOT_BREACHING };
    // MediaConvert publishes its job counts per queue, in the region the jobs run in (this stack's).
    const jobMetric = (metricName: string, label: string) =>
      new Metric({
        namespace: 'AWS/MediaConvert',
        metricName,
        dimensionsMap: { Queue: vod.mediaConvertQueueArn },
        statistic: Stats.SUM,
        label,
      });
    monitoring.monitorCustom({
      alarmFriendlyName: 'VideoTranscoding',
      humanReadableName: 'Video transcoding (MediaConvert)',
      metricGroups: [
        {
          title: 'Jobs',
          graphWidgetType: GraphWidgetType.BAR,
          metrics: [
            jobMetric('JobsCompletedCount', 'Completed'),
            {
              metric: jobMetric('JobsErroredCount', 'Errored'),
              alarmFriendlyName: 'JobsErrored',
              addAlarm: {
                Critical: {
                  threshold: VOD_MAX_ERRORED_JOBS,
                  alarmDescriptionOverride:
                    'A MediaConvert job of the video pipeline failed, so a lecture video will not play. ' +
                    'The publish-job-state logs and the MediaConvert console show its error code.',
                  comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
                  datapointsToAlarm: 1,
                  evaluationPeriods: 1,
                  ...quietWhenMissing,
                },
              },
            },
          ],
        },
      ],
    });

    const deadLetters: [IQueue, string, string][] = [
      [vod.transcodeDeadLetterQueue, 'VideoTranscodeDeadLetters', 'Uploads that started no transcoding'],
      [vod.jobStateDeadLetterQueue, 'VideoJobStateDeadLetters', 'Transcoding results never published'],
    ];
    for (const [queue, alarmFriendlyName, humanReadableName] of deadLetters) {
      monitoring.monitorSqsQueue({
        queue,
        // Queue names are deploy-time tokens, which alarm names cannot contain.
        alarmFriendlyName,
        humanReadableName,
        addQueueMaxSizeAlarm: {
          Critical: { maxMessageCount: VOD_MAX_DEAD_LETTERS, datapointsToAlarm: 1, evaluationPeriods: 1 },
        },
      });
    }

    // The playback widgets read us-east-1 (cdk-monitoring-constructs puts CloudFront metrics there), so the
    // dashboard shows them from any region. The 5xx alarm can exist only where the alarm and the metrics
    // share a region: here when this stack is bound to us-east-1; for a platform bound to another region,
    // in the playback-alarm stack (us-east-1, its own topic). An environment-agnostic synth has neither.
    const canAlarmOnCloudFront = this.region === CLOUDFRONT_METRICS_REGION;
    monitoring.monitorCloudFrontDistribution({
      distribution: vod.distribution,
      // The distribution's id is a deploy-time token, which alarm names cannot contain.
      alarmFriendlyName: 'VideoPlayback',
      humanReadableName: `Video playback (CloudFront, metrics in ${CLOUDFRONT_METRICS_REGION})`,
      // Cache hit rate and the other additional metrics are a paid opt-in on the distribution; not enabled.
      additionalMetricsEnabled: false,
      ...(canAlarmOnCloudFront
        ? { addFault5xxRate: { Critical: { maxErrorRate: PLAYBACK_MAX_5XX_PERCENT, ...quietWhenMissing } } }
        : {}),
    });
  }
}

/**
 * Alarm names must be unique and token-free, and construct IDs like `Handler` repeat across the
 * platform, so functions are named by their construct path within their own stack.
 */
function uniqueFriendlyNames(functions: readonly IFunction[]): Map<IFunction, string> {
  const sanitize = (path: string): string => path.replace(/[^A-Za-z0-9_.-]+/g, '-');
  const names = new Map<IFunction, string>();
  const taken = new Set<string>();
  for (const fn of functions) {
    if (names.has(fn)) {
      continue;
    }
    const stackPath = Stack.of(fn).node.path;
    const withinStack = fn.node.path.slice(stackPath.length).replace(/^\//, '');
    let name = sanitize(withinStack || fn.node.id);
    if (taken.has(name)) {
      name = sanitize(fn.node.path);
    }
    taken.add(name);
    names.set(fn, name);
  }
  return names;
}

import { CrossStackReferences, Duration, ReferenceStrength, Stack, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Construct } from 'constructs';
import { createAlarmTopic } from '../constructs/alarm-topic';
import { CLOUDFRONT_METRICS_REGION, PLAYBACK_MAX_5XX_PERCENT } from './monitoring-stack';

export interface PlaybackAlarmStackProps extends StackProps {
  /** The playback distribution's id, read from the vod stack in the platform's region. */
  readonly distributionId: string;
  /** Who the alarm's topic e-mails: one address or several. */
  readonly alarmEmail: string | readonly string[];
}

/**
 * The playback distribution's 5xx alarm, for a platform bound to a region other than us-east-1: CloudFront
 * publishes its metrics only there, and an alarm watches only metrics of its own region and notifies only a
 * topic of its own region, so the alarm and its topic live here. Deployed after the vod stack, whose
 * distribution id it reads across regions.
 */
export class PlaybackAlarmStack extends Stack {
  public readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: PlaybackAlarmStackProps) {
    super(scope, id, props);
    if (this.region !== CLOUDFRONT_METRICS_REGION) {
      throw new Error(
        `PlaybackAlarmStack must be deployed to ${CLOUDFRONT_METRICS_REGION}, got ${this.region}`,
      );
    }
    // Every value this stack reads comes from another region: Fn::GetStackOutput, as for the edge stack's
    // certificate, rather than the app's strong references, which across regions need a Lambda-backed reader.
    CrossStackReferences.of(this).consume(ReferenceStrength.WEAK);

    const topic = createAlarmTopic(this, props.alarmEmail);
    this.alarm = new Alarm(this, 'Playback5xxRate', {
      alarmDescription:
        `More than ${PLAYBACK_MAX_5XX_PERCENT}% of video playback requests failed with a 5xx for 5 minutes: ` +
        'learners’ players stall. The distribution’s origin is the renditions bucket; check its errors and ' +
        'the CloudFront console’s error reports.',
      metric: new Metric({
        namespace: 'AWS/CloudFront',
        metricName: '5xxErrorRate',
        dimensionsMap: { DistributionId: props.distributionId, Region: 'Global' },
        statistic: 'Average',
        period: Duration.minutes(5),
      }),
      threshold: PLAYBACK_MAX_5XX_PERCENT,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No requests, no datapoints: quiet, as on the platform's other alarms.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarm.addAlarmAction(new SnsAction(topic));
    this.alarm.addOkAction(new SnsAction(topic));
  }
}

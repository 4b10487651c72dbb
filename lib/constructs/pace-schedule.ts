import { Stack, TimeZone } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { EventBridgePutEvents } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENTS } from '#contracts/resources';

/** The one fact the scheduler states, as the core consumes it (EVENTS.coreConsumes). */
const SCAN_DUE: (typeof EVENTS.coreConsumes)[typeof EVENTS.sources.scheduler][number] = 'pace.scan-due';

export interface PaceScheduleProps {
  /** The platform bus, where the core's rule queues `pace.scan-due` for it. */
  readonly eventBus: IEventBus;
  /** The compliance profile's time zone (an IANA name): its days are the days the scan judges. */
  readonly timeZone: string;
  /** Where a put the scheduler gives up on lands, for the alarm that watches it. */
  readonly deadLetterQueue: IQueue;
}

/**
 * Puts `pace.scan-due` on the platform bus once a day, five minutes after midnight in the profile's time
 * zone: the day's pace is judged on yesterday's progress, complete by then, and the margin keeps a service
 * clock a little behind the scheduler's from taking the scan for yesterday. The core runs the scan for the
 * day it is when the event arrives; a late or repeated delivery reminds nobody twice.
 */
export class PaceSchedule extends Construct {
  public readonly schedule: Schedule;
  /** What the scheduler acts as: it may put events on the bus and send to the dead-letter queue. */
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: PaceScheduleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // The platform's confused-deputy guard (test/lib/service-roles.test.ts): assumed for this account's
    // default schedule group only, the source the scheduler names when it assumes the role.
    this.role = new Role(this, 'Role', {
      description: 'EventBridge Scheduler puts the daily pace.scan-due on the platform bus',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'scheduler',
              resource: 'schedule-group',
              resourceName: 'default',
            }),
          },
        },
      }),
    });
    this.schedule = new Schedule(this, 'Schedule', {
      description: `Puts ${SCAN_DUE} on the platform bus daily at 00:05 in ${props.timeZone}`,
      schedule: ScheduleExpression.cron({ minute: '5', hour: '0', timeZone: TimeZone.of(props.timeZone) }),
      target: new EventBridgePutEvents(
        {
          eventBus: props.eventBus,
          source: EVENTS.sources.scheduler,
          detailType: SCAN_DUE,
          detail: ScheduleTargetInput.fromObject({}),
        },
        // The target grants the role events:PutEvents on the bus and sqs:SendMessage on the queue.
        { role: this.role, deadLetterQueue: props.deadLetterQueue },
      ),
    });
  }
}

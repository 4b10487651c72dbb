import { CfnBudget } from 'aws-cdk-lib/aws-budgets';
import { Construct } from 'constructs';

export interface CostBudgetProps {
  /** Unique in the account: AWS Budgets' names are account-wide. */
  readonly budgetName: string;
  /** The month's expected bill in US dollars. */
  readonly monthlyLimitUsd: number;
  /**
   * The cost allocation tags whose resources the budget counts, all of them at once. They count only once
   * activated in the Billing console (Cost allocation tags), which takes up to a day after they first appear.
   */
  readonly tags: Readonly<Record<string, string>>;
  /** Who is e-mailed when an alert fires. */
  readonly emails: readonly string[];
}

/** Percentages of the limit at which the month's actual spend alerts, and one on the month's forecast. */
export const BUDGET_ALERTS = [
  { notificationType: 'ACTUAL', threshold: 80 },
  { notificationType: 'ACTUAL', threshold: 100 },
  { notificationType: 'FORECASTED', threshold: 100 },
] as const;

/**
 * A monthly cost budget over one platform's resources, e-mailing at 80% and 100% of the limit and when the
 * forecast passes it. E-mail rather than the alarm topic: Budgets publishing to that KMS-encrypted topic would
 * need a key grant to a service that acts account-wide, and e-mail reaches the same people.
 */
export class CostBudget extends Construct {
  public readonly budget: CfnBudget;

  constructor(scope: Construct, id: string, props: CostBudgetProps) {
    super(scope, id);
    const tagFilters = Object.entries(props.tags).map(([key, value]) => ({
      tags: { key, values: [value], matchOptions: ['EQUALS'] },
    }));
    this.budget = new CfnBudget(this, 'Budget', {
      budget: {
        budgetName: props.budgetName,
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: props.monthlyLimitUsd, unit: 'USD' },
        filterExpression: tagFilters.length === 1 ? tagFilters[0] : { and: tagFilters },
      },
      notificationsWithSubscribers: BUDGET_ALERTS.map((alert) => ({
        notification: {
          notificationType: alert.notificationType,
          comparisonOperator: 'GREATER_THAN',
          threshold: alert.threshold,
          thresholdType: 'PERCENTAGE',
        },
        subscribers: props.emails.map((address) => ({ subscriptionType: 'EMAIL', address })),
      })),
    });
  }
}

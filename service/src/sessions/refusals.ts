/** Why open registration refused a request: the routes turn each into its HTTP status. */
export type RefusalReason =
  | 'not-eligible'
  | 'not-open-yet'
  | 'closed'
  | 'full'
  | 'schedule-overlap'
  | 'cancel-deadline-passed'
  | 'learning-started'
  | 'unknown-companies'
  | 'capacity-below-taken'
  | 'window-inconsistent';

/** A refusal the learner or manager can act on; nothing was changed. */
export class RegistrationRefused extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
    /** The offending request fields, when a field is at fault. */
    readonly fields?: readonly { field: string; message: string }[],
  ) {
    super(message);
    this.name = 'RegistrationRefused';
  }
}

import * as z from 'zod';

/*
 * Notifications: facts of the platform told to the people they concern, in the app's inbox and by e-mail
 * through Amazon SES. Each person turns e-mail off per kind; every e-mail carries a signed link that does it
 * without signing in.
 */

/** What a notification is about; a person's e-mail preferences are per kind. */
export const NOTIFICATION_KINDS = [
  'enrollment-created',
  'waitlist-promoted',
  'provision-requested',
  'provision-decided',
  'exam-graded',
  'pace-reminder',
  'pace-digest',
  'certificate-issued',
  'certificate-revoked',
  'lecture-scheduled',
  'lecture-started',
] as const;
export const notificationKind = z.enum(NOTIFICATION_KINDS);
export type NotificationKind = z.infer<typeof notificationKind>;

export const NOTIFICATIONS = {
  env: {
    /** `Name <address>` the e-mails are sent from; unset: no e-mail, the inbox only. */
    sender: 'NOTIFICATIONS_SENDER',
    /** Where replies go. */
    replyTo: 'NOTIFICATIONS_REPLY_TO',
    /** The SES configuration set every e-mail names (its bounces and complaints suppress addresses). */
    configurationSet: 'NOTIFICATIONS_CONFIGURATION_SET',
    /** The secret the unsubscribe links are signed with. */
    unsubscribeSecretArn: 'NOTIFICATIONS_UNSUBSCRIBE_SECRET_ARN',
    /** The API's unsubscribe page, without the token: `<base>/<token>`. */
    unsubscribeBaseUrl: 'NOTIFICATIONS_UNSUBSCRIBE_BASE_URL',
    /** The web app, which the e-mails link to. */
    appUrl: 'NOTIFICATIONS_APP_URL',
    /** The language of people whose profile names none: `ko` or `en`. */
    defaultLocale: 'NOTIFICATIONS_DEFAULT_LOCALE',
    /** The compliance profile's time zone, in which times in messages are written. */
    timeZone: 'NOTIFICATIONS_TIME_ZONE',
  },
  /** How long a notification stays in the inbox, in days (DynamoDB's TTL removes it after). */
  keepDays: 365,
  /** The unsubscribe routes' throttle, for every caller together: people clicking a link, not a script. */
  unsubscribeThrottle: { rate: 5, burst: 10 },
} as const;

/** The language of people whose profile names none: Korean where the profile keeps Korea's time. */
export const defaultLocaleFor = (timeZone: string): 'ko' | 'en' => (timeZone === 'Asia/Seoul' ? 'ko' : 'en');

export const NOTIFICATION_INDEXES = {
  /** `unread#<sub>` / `<notificationId>`: a person's unread notifications, newest last (sparse). */
  unread: 'unread',
} as const;

/** UUID v7: ordered by when its fact happened. */
export const notificationId = z.uuid();

const pageLimit = z.coerce.number().int().min(1).max(100).default(20);
const cursor = z.string().min(1).max(1024).optional();

export const listNotificationsQuery = z.strictObject({
  limit: pageLimit,
  cursor,
  /** `true`: unread ones only. */
  unread: z.enum(['true', 'false']).optional(),
});

/** Marks notifications read: the ones named, or every one up to and including `upTo` (the newest seen). */
export const markNotificationsReadBody = z.union([
  z.strictObject({ notificationIds: z.array(notificationId).min(1).max(100) }),
  z.strictObject({ upTo: notificationId }),
]);
export type MarkNotificationsReadBody = z.infer<typeof markNotificationsReadBody>;

/** A notification as the inbox shows it: its text in the person's language, and where it leads. */
export const notificationView = z.object({
  notificationId: z.string(),
  kind: notificationKind,
  title: z.string(),
  body: z.string(),
  /** A path of the web app (`/learn/<enrollmentId>`), under WEB_APP.screens or `/`. */
  link: z.string().describe('a path of the web app'),
  occurredAt: z.string(),
  readAt: z.string().nullable(),
});
export type NotificationView = Readonly<z.infer<typeof notificationView>>;

/** `GET /me/notifications`: a page of the inbox, newest first, and how many are unread in all. */
export const notificationPage = z.object({
  notifications: z.array(notificationView),
  unreadCount: z.number().int().describe('counted up to 1000'),
  cursor: z.string().optional().describe('present when more follow: send it for the next page'),
});

/** `POST /me/notifications/read`: how many this call marked, and how many stay unread. */
export const markedRead = z.object({
  marked: z.number().int(),
  unreadCount: z.number().int(),
});

/** E-mail on or off, per kind. Every kind is on until its person turns it off. */
export const emailPreferences = z.partialRecord(notificationKind, z.boolean());

export const updateNotificationPreferencesBody = z
  .strictObject({ email: emailPreferences })
  .refine((b) => Object.keys(b.email).length > 0, {
    message: 'Name at least one kind',
    path: ['email'],
  });

/**
 * A person's e-mail preferences as answered: every kind named, each its own property, so the web app's client
 * knows the kinds (a new kind is a type error in the settings screen until it is named there).
 */
export const notificationPreferences = z.object({
  email: z.object(
    Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, z.boolean()])) as Record<
      NotificationKind,
      z.ZodBoolean
    >,
  ),
});
export type NotificationPreferences = Readonly<z.infer<typeof notificationPreferences>>;

/**
 * An unsubscribe link's token: `v1.<sub as base64url>.<kind>.<HMAC-SHA256 as base64url>`. Its shape only:
 * the signature is checked by the notifications domain, which holds the key.
 */
export const unsubscribeToken = z
  .string()
  // The shortest a signed token can be: `v1.`, a character, `.`, a letter, `.` and the 43 of the signature.
  .min(50)
  .max(400)
  .regex(/^v1\.[A-Za-z0-9_-]{1,200}\.[a-z-]{1,40}\.[A-Za-z0-9_-]{43}$/, 'an unsubscribe link’s token');
export const unsubscribeParams = z.object({ token: unsubscribeToken });

/**
 * An SES event as a configuration set's event destination publishes it to SNS (the parts the platform
 * reads): a permanent bounce or a complaint suppresses the address.
 */
export const sesFeedbackEvent = z.object({
  eventType: z.string(),
  mail: z.object({ messageId: z.string(), timestamp: z.string().optional() }).loose(),
  bounce: z
    .object({
      bounceType: z.string(),
      bouncedRecipients: z.array(z.object({ emailAddress: z.string() }).loose()),
    })
    .loose()
    .optional(),
  complaint: z
    .object({ complainedRecipients: z.array(z.object({ emailAddress: z.string() }).loose()) })
    .loose()
    .optional(),
});
export type SesFeedbackEvent = z.infer<typeof sesFeedbackEvent>;

-- When the media fact a content shows happened, so a late or redelivered video event cannot overwrite a
-- newer one (a failed transcode reported after the retry that succeeded).
alter table contents add column media_event_at timestamptz;

-- Both tables only grow; the relay and the consumer prune them by age.
create index outbox_published on outbox (published_at) where published_at is not null;
create index processed_events_age on processed_events (processed_at);

-- Timestamps in JSON that PostgreSQL builds itself, written as JavaScript writes them (UTC, milliseconds,
-- `Z`), so a route answering PostgreSQL's JSON as it comes matches every other route. STABLE, like the
-- to_char it wraps, so the planner inlines it.
create function json_time(t timestamptz) returns text
  language sql stable parallel safe
  return to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');

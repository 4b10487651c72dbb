-- A viewing run's detail in fewer bytes (issue 22: the trail at a tenth of its per-beat bytes per credited
-- hour). In 0017's shape a run's detail was ~270 of the ~470 bytes a run costs in the trail (heap and index
-- entries): its keys alone ~50, endedAt a 25-character timestamp (~48 with its key), covered an array of
-- arrays of numerics (~52 for one pair), sessionIds an array (~64 for one), the day a 10-character string,
-- playbackRates an array (~36) even when it is [1], each number a numeric (8 bytes and alignment).
-- From here on a run's detail holds the same facts, its numbers as JSON strings (a numeric is ~8 bytes,
-- aligned; "255" is 3, and readers that take detail->>'seconds' read it alike):
--   seconds, beats  as in 0017 (readers sum them: the seconds a run credited, the beats counted);
--   c  the positions credited, as int4multirange text: '{[0,120),[300,420)}' (0017's covered pairs);
--   e  its last credited beat, in seconds after `at`, its first (0017's endedAt; exact: a numeric's text);
--   d  the day it counts in (the compliance profile's zone's, as the daily lesson cap counts), in days after
--      `at`'s UTC date; absent when 0. Not worked out from the profile's zone: that may change after the run;
--   s  the player tab's session id, or an array of them when more than one earned in the run (sessionIds);
--   r  the playback rates that earned in it; absent when 1x alone (playbackRates [1], the usual case).
-- A run in this shape is told from 0017's by its 'c'. The trail is append-only: runs written before stay as
-- they are, and the audit export (learnerAudit) presents both shapes as 0017's, so its answer is unchanged.
-- Open runs (learning_audit_open_runs) show this shape too, as the trail will hold them.

-- A credit row's positions, any of its three shapes.
create or replace function learning_audit_covered(p_detail jsonb) returns int4multirange
language sql immutable as $$
  select case
    when p_detail ? 'c' then (p_detail->>'c')::int4multirange
    when p_detail ? 'covered' then (
      select coalesce(range_agg(int4range((r->>0)::integer, (r->>1)::integer)), '{}'::int4multirange)
      from jsonb_array_elements(p_detail->'covered') r)
    else int4multirange(int4range((p_detail->>'from')::integer, (p_detail->>'to')::integer)) end
$$;

-- An open run's entry as the trail will hold it. learning_audit_close_run and learning_audit_open_runs (0017)
-- call this, so both take the new shape. trim_scale: an interval's epoch has six decimals, 240.000000.
create or replace function content_progress_run_detail(p content_progress) returns jsonb
language sql stable as $$
  select jsonb_strip_nulls(jsonb_build_object(
    'seconds', p.run_seconds::text,
    'beats', p.run_beats::text,
    'c', p.run_covered::text,
    'e', trim_scale(extract(epoch from p.run_ended_at - p.run_started_at))::text,
    'd', nullif(p.run_day - (p.run_started_at at time zone 'UTC')::date, 0)::text,
    's', case when cardinality(p.run_session_ids) = 1 then to_jsonb(p.run_session_ids[1])
         else to_jsonb(p.run_session_ids) end,
    'r', case when p.run_playback_rates <> array[1::float8] then to_jsonb(p.run_playback_rates) end))
$$;

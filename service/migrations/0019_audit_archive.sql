-- The audit trail's old months leave the database for the archive bucket (issue 22): a month partition that is
-- over, and that no open viewing run can still write into, is written to S3 as one Parquet object, read back
-- and checked, and then detached and dropped in the transaction that records it here. The audit export reads
-- an archived month from its object, so an inspector sees the same trail either way.

-- One row per archived month: where its rows went and what they were. Append-only like the trail it stands for.
create table learning_audit_archives (
  -- The month's first day (UTC), as its partition was bounded.
  month date primary key check (month = date_trunc('month', month)::date),
  object_key text not null unique,
  row_count bigint not null check (row_count >= 0),
  -- The object's bytes (base64, as S3's x-amz-checksum-sha256), and the rows' canonical digest (hex; see
  -- service/src/learning/audit-archive.ts): either proves the object is the one checked before the drop.
  object_sha256 text not null,
  content_sha256 text not null check (content_sha256 ~ '^[0-9a-f]{64}$'),
  object_bytes bigint not null check (object_bytes > 0),
  min_id bigint,
  max_id bigint,
  archived_at timestamptz not null default now(),
  check (num_nulls(min_id, max_id) = case when row_count = 0 then 2 else 0 end)
);
create trigger learning_audit_archives_append_only before update or delete on learning_audit_archives
  for each row execute function learning_audit_is_append_only();

-- Detaches and drops one month's partition of the trail and records its archive, in the caller's transaction,
-- after checking that the partition is that whole month (never the default partition nor any other table),
-- that the month is over by the database's clock, that no open viewing run started in it or earlier (its row,
-- written when it closes, would carry that start as `at`: migration 0017), and that it holds exactly the rows
-- the caller archived (their count, lowest and highest id and a digest of their ids; the rows themselves
-- cannot change, the trail being append-only). Anything else raises and leaves the partition.
-- Returns false, and changes nothing, when the month is archived already (another task's pass, which the
-- month's lock made this one wait for). Security definer: the service may not drop tables
-- (service/src/db/app-role.ts), only this.
create function learning_audit_archive_month(
  p_month date,
  p_object_key text,
  p_row_count bigint,
  p_ids_sha256 text,
  p_min_id bigint,
  p_max_id bigint,
  p_object_sha256 text,
  p_content_sha256 text,
  p_object_bytes bigint
) returns boolean
language plpgsql security definer set search_path = public, pg_temp set timezone = 'UTC' as $$
declare
  v_name text := format('learning_audit_%s', to_char(p_month, 'YYYY_MM'));
  v_start timestamptz := p_month::timestamp at time zone 'UTC';
  v_end timestamptz := (p_month + interval '1 month')::timestamp at time zone 'UTC';
  v_part regclass;
  v_count bigint;
  v_min bigint;
  v_max bigint;
  v_ids text;
begin
  if p_month is distinct from date_trunc('month', p_month)::date then
    raise exception 'not a month: %', p_month using errcode = 'LM409';
  end if;
  -- One archive of a month at a time, whichever task runs it; the second finds the first's record.
  perform pg_advisory_xact_lock(hashtext('learning_audit_archive_month'),
                                (extract(year from p_month) * 12 + extract(month from p_month))::integer);
  if exists (select from learning_audit_archives where month = p_month) then
    return false;
  end if;
  v_part := to_regclass(v_name);
  if v_part is null or not exists (
      select from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'learning_audit'::regclass and i.inhrelid = v_part
        and pg_get_expr(c.relpartbound, c.oid) = format('FOR VALUES FROM (%L) TO (%L)', v_start, v_end)) then
    raise exception 'no partition of the whole month %', p_month using errcode = 'LM409';
  end if;
  if v_end > now() then
    raise exception 'month % is not over', p_month using errcode = 'LM409';
  end if;
  -- Taken now, so that nothing is written into the month between the checks below and the drop.
  execute format('lock table %s in access exclusive mode', v_part);
  if exists (select from content_progress where run_id is not null and run_started_at < v_end) then
    raise exception 'month % has open viewing runs', p_month using errcode = 'LM409';
  end if;
  execute format(
    'select count(*), min(id), max(id), encode(sha256(convert_to(coalesce(string_agg(id::text, '','' order by id), ''''), ''UTF8'')), ''hex'') from %s',
    v_part) into v_count, v_min, v_max, v_ids;
  if v_count <> p_row_count or v_min is distinct from p_min_id or v_max is distinct from p_max_id
      or v_ids <> p_ids_sha256 then
    raise exception 'month % holds other rows than were archived', p_month using errcode = 'LM409';
  end if;
  insert into learning_audit_archives (month, object_key, row_count, object_sha256, content_sha256, object_bytes,
                                       min_id, max_id)
  values (p_month, p_object_key, p_row_count, p_object_sha256, p_content_sha256, p_object_bytes, p_min_id,
          p_max_id);
  execute format('alter table learning_audit detach partition %s', v_part);
  execute format('drop table %s', v_part);
  return true;
end $$;

-- As in 0017, except that an archived month is never made again: its rows are in its object, and a row dated
-- in it now (none should be) goes to the default partition, still read by the export.
create or replace function learning_audit_add_partitions(p_from date, p_through date) returns integer
language plpgsql security definer set search_path = public, pg_temp as $$
declare
  v_month date := date_trunc('month', p_from)::date;
  v_name text;
  v_start timestamptz;
  v_end timestamptz;
  v_made integer := 0;
begin
  while v_month <= p_through loop
    v_name := format('learning_audit_%s', to_char(v_month, 'YYYY_MM'));
    v_start := v_month::timestamp at time zone 'UTC';
    v_end := (v_month + interval '1 month')::timestamp at time zone 'UTC';
    if to_regclass(v_name) is null
        and not exists (select from learning_audit_archives where month = v_month)
        and not exists (select from learning_audit_default where at >= v_start and at < v_end) then
      execute format('create table %I partition of learning_audit for values from (%L) to (%L)',
                     v_name, v_start, v_end);
      v_made := v_made + 1;
    end if;
    v_month := (v_month + interval '1 month')::date;
  end loop;
  return v_made;
end $$;

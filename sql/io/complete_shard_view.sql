-- The view {table} over its Parquet shards {glob}, showing only the shards whose marker shard (the
-- file of the same run and shard number under {marker_glob}) exists: a rollout or import writes a
-- shard's turns first and its trajectories last, so a shard's turns appear together with its
-- trajectories, never before (a kill between the two, or a reader during the write, sees neither).
-- Paths are matched on their last two parts, '<run_id>/shard-NNNNN.parquet'. {scope}: see shard_view.
create or replace {scope}view {table} as
with shards_in as (
    select * from read_parquet({glob}, union_by_name = true, filename = true)
),

complete as (
    select regexp_extract(file, '[^/\\]+[/\\][^/\\]+$') as shard from glob({marker_glob})
),

final as (
    select * exclude (filename) from shards_in
    where regexp_extract(filename, '[^/\\]+[/\\][^/\\]+$') in (select shard from complete)
)

select * from final;

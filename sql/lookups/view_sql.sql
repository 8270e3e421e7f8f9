-- The stored (main schema) views and their DDL: a read-only connection checks whether the shard
-- views still point at this workspace's files. One row per view: (view_name, sql).
with views_in as (
    select view_name, sql from duckdb_views() where not internal and not temporary and schema_name = 'main'
),

final as (
    select view_name, sql from views_in
)

select * from final;

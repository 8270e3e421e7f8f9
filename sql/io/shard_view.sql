-- The view {table} over its Parquet shards {glob} (a quoted literal: DuckDB takes no parameters in
-- view DDL). union_by_name: shards written before a column was added read it as NULL. {scope} is
-- '' for the stored view, 'temp ' for a read-only connection's view of a moved workspace.
create or replace {scope}view {table} as
select * from read_parquet({glob}, union_by_name = true);

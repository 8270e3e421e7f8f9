-- Warehouses written before the integer-keyed weights storage (sql/tables/prompt_groups.sql) had
-- `weights` as a table and no returns.group_key (see sql/lookups/old_weights_layout.sql). All of it
-- is derived from the Parquet shards and is recomputed on the next `drift weights`, so drop it.
drop table if exists weights;
drop table if exists weight_diagnostics;
drop table if exists returns_state;
drop table if exists returns;

-- Whether this warehouse has the weights layout of before prompt_groups: `weights` as a base table
-- (now a view over weight_rows) or `returns` without group_key. One row: old (boolean).
with tables_in as (
    select table_name, column_name
    from duckdb_columns()
    where database_name = current_database() and schema_name = 'main' and not internal
),

final as (
    select
        exists (select 1 from duckdb_tables() where database_name = current_database() and table_name = 'weights')
        or (exists (select 1 from tables_in where table_name = 'returns')
            and not exists (select 1 from tables_in where table_name = 'returns' and column_name = 'group_key'))
            as old
)

select * from final;

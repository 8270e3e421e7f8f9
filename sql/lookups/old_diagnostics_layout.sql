-- Whether this warehouse has a weight_diagnostics table from before it had a weighting_id (its rows then
-- held only the weighting's key): no such column, or a nullable one (sql/migrations/
-- add_diagnostics_weighting_id.sql and diagnostics_weighting_id_not_null.sql update it). One row: old
-- (boolean).
with columns_in as (
    select column_name, is_nullable
    from duckdb_columns()
    where database_name = current_database() and schema_name = 'main' and not internal
        and table_name = 'weight_diagnostics'
),

final as (
    select
        (select count(*) from columns_in) > 0
        and not exists (select 1 from columns_in where column_name = 'weighting_id' and not is_nullable) as old
)

select * from final;

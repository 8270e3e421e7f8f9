-- Whether this warehouse has weighting tables from before every weighting option was part of the key:
-- weightings or weight_diagnostics without one of the columns target_ess, all_fail_zero, weight_cap,
-- beta_pool, or with one of them nullable (sql/migrations/add_weighting_options.sql and
-- weighting_options_not_null.sql update them). One row: old (boolean).
with columns_in as (
    select table_name, column_name, is_nullable
    from duckdb_columns()
    where database_name = current_database() and schema_name = 'main' and not internal
        and table_name in ('weightings', 'weight_diagnostics')
),

tables_in as (
    select
        table_name,
        list(column_name) filter (where not is_nullable) as required
    from columns_in
    group by table_name
),

final as (
    select coalesce(bool_or(not list_has_all(coalesce(required, []),
                                             ['target_ess', 'all_fail_zero', 'weight_cap', 'beta_pool'])), false) as old
    from tables_in
)

select * from final;

-- Whether this warehouse has derived tables from before protocol.repeat_penalty_lambda was part of the
-- returns' key: returns, returns_state, weightings or weight_diagnostics without a repeat_penalty_lambda
-- column (their rows were all computed at the reference's fixed 0.5). One row: old (boolean).
with tables_in as (
    select table_name, list(column_name) as columns
    from duckdb_columns()
    where database_name = current_database() and schema_name = 'main' and not internal
        and table_name in ('returns', 'returns_state', 'weightings', 'weight_diagnostics')
    group by table_name
),

final as (
    select coalesce(bool_or(not list_contains(columns, 'repeat_penalty_lambda')), false) as old
    from tables_in
)

select * from final;

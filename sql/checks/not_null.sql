-- Check (run by drift_core/sqlfiles.py after each write, from the `key:` / `unique:` lines of
-- sql/tables/<table>.sql): rows of {table} in {where} with a NULL in a key column ({any_null}). Empty = pass.
with rows_in as (
    select {columns} from {table} where {where}
),

final as (
    select * from rows_in where {any_null} limit 5
)

select * from final;

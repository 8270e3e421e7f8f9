-- Check (run by drift_core/sqlfiles.py after each write, from the `key:` / `unique:` lines of
-- sql/tables/<table>.sql): the key values of {table} that occur more than once among the rows in
-- {where}. Empty = pass. {table}, {columns}, {where} are identifiers and a condition from the DDL header.
with rows_in as (
    select {columns} from {table} where {where}
),

final as (
    select {columns}, count(*) as copies
    from rows_in
    group by all
    having count(*) > 1
    limit 5
)

select * from final;

-- The first records of import_staged with a problem (record number = non-blank line number).
with staged_in as (
    select record_no, problem from import_staged where problem is not null
),

final as (
    select * from staged_in order by record_no limit 5
)

select * from final;

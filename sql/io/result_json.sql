-- `drift sql --format json` to stdout: each row of the registered result as one JSON object (text).
with result_in as (
    select * from result
),

final as (
    select to_json(r)::varchar as line from result_in r
)

select * from final;

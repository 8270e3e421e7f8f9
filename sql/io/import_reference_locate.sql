-- The first record whose known fields DuckDB's typed JSON reader cannot convert (the reader's own
-- error does not say which line). Only run after that reader failed. Params: $path.
with source as (
    select ordinality as record_no, json as j
    from read_json_objects($path, format = 'newline_delimited') with ordinality
),

fields as (
    select
        record_no,
        json_type(j) as j_type,
        json_extract(j, ['$.turn_rewards', '$.format_penalty', '$.answer_norms', '$.messages']) as f
    from source
),

failing as (
    select record_no
    from fields
    where j_type <> 'OBJECT'
        or (try(f[1]::map(varchar, double)) is null and json_type(f[1]) <> 'NULL')
        or (try(f[2]::double) is null and json_type(f[2]) <> 'NULL')
        or (try(f[3]::varchar[]) is null and json_type(f[3]) <> 'NULL')
        or json_type(f[4]) not in ('ARRAY', 'NULL')
),

final as (
    select min(record_no) as record_no from failing
)

select * from final;

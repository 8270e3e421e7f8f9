-- The first record whose known fields DuckDB's typed JSON reader cannot convert, and which field (the
-- reader's own error does not say which line, and its text can be cut mid-character). Only run after
-- that reader failed. Params: $path.
with source as (
    select ordinality as record_no, json as j
    from read_json_objects($path, format = 'newline_delimited') with ordinality
),

fields as (
    select
        record_no,
        json_type(j) as j_type,
        json_extract(j, ['$.turn_rewards', '$.answer_norms', '$.messages']) as f
    from source
),

failing as (
    select
        record_no,
        case
            when j_type <> 'OBJECT' then 'not a JSON object (got ' || j_type || ')'
            when try(f[1]::map(varchar, json)) is null and json_type(f[1]) <> 'NULL'
                then 'turn_rewards must be an object {"t1": number, ...}, got ' || json_type(f[1])
            when try(f[2]::varchar[]) is null and json_type(f[2]) <> 'NULL'
                then 'answer_norms must be a list of strings, got ' || json_type(f[2])
            when try(f[3]::struct(role varchar, content varchar)[]) is null and json_type(f[3]) <> 'NULL'
                then 'messages must be a list of {"role", "content"} objects, got ' || json_type(f[3])
        end as reason
    from fields
),

final as (
    select record_no, reason from failing where reason is not null order by record_no limit 1
)

select * from final;

-- One cheap pass over a reference-format JSONL (no rows kept): finds malformed lines (DuckDB's
-- parser names the line) and counts the records whose top-level keys are not exactly the
-- reference's nine, or that are not objects. Only when there are some does import_unusual read
-- the file again to keep their keys and unknown fields. Params: $path.
with source as (
    select json_type(json) as j_type, json_keys(json) as keys
    from read_json_objects($path, format = 'newline_delimited')
),

final as (
    select count(*) filter (
        where j_type is distinct from 'OBJECT'
            or list_sort(keys) <> ['answer_norms', 'format_penalty', 'gold', 'messages', 'prompt_id',
                                   'reward_details', 't_star', 'turn_rewards', 'verifier']
    ) as unusual_records
    from source
)

select * from final;

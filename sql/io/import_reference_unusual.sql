-- import_unusual (temp): the records of a reference-format JSONL whose top-level keys are not exactly
-- the reference's nine (or that are not objects): only these need more than the typed columns to come
-- back unchanged, so only these keep their key list and their unknown fields (verbatim, in order).
-- io/import_reference_shape counted them first; with $scan false (none) this makes the empty table without
-- reading the file. Params: $path, $scan.
create or replace temp table import_unusual as
with source as (
    select ordinality as record_no, json as j, json_type(json) as j_type, json_keys(json) as keys
    from read_json_objects($path, format = 'newline_delimited') with ordinality
    where $scan
),

unusual as (
    select *
    from source
    where j_type is distinct from 'OBJECT'
        or list_sort(keys) <> ['answer_norms', 'format_penalty', 'gold', 'messages', 'prompt_id',
                               'reward_details', 't_star', 'turn_rewards', 'verifier']
),

final as (
    select
        record_no,
        j_type,
        keys,
        json_merge_patch(j, '{"prompt_id": null, "gold": null, "messages": null, "verifier": null,
            "turn_rewards": null, "reward_details": null, "t_star": null, "answer_norms": null,
            "format_penalty": null}')::varchar as unknown
    from unusual
)

select * from final;

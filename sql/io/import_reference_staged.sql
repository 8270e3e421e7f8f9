-- import_staged (temp): the records of a reference-format trajectory JSONL (DESIGN §1), parsed,
-- typed and checked, one row per record in file order. DuckDB parses the file (no Python per line).
-- Known fields -> typed columns; unknown fields -> `extra` (verbatim JSON). So that import -> export
-- gives back each object equal as parsed JSON, `extra` also carries a reserved "__drift__" object
-- when needed: "absent" (known optional fields the record did not have) and "override" (known
-- fields whose value the typed columns cannot reproduce, e.g. a message with more keys than
-- role/content, or a verifier that is not one-hot at t_star); export takes those verbatim.
-- `problem` names the first thing wrong with a record (NULL when fine); nothing is written if any.
-- Params: $path (the .jsonl file), $run_id, $policy.
create or replace temp table import_staged as
with source as (
    select ordinality as record_no, json as j
    from read_json_objects($path, format = 'newline_delimited') with ordinality
),

fields as (
    -- one parse per record: the known fields as JSON (SQL NULL when the key is absent)
    select
        record_no,
        j,
        json_type(j) as j_type,
        json_extract(j, [
            '$.prompt_id', '$.gold', '$.messages', '$.verifier', '$.turn_rewards',
            '$.reward_details', '$.t_star', '$.answer_norms', '$.format_penalty', '$.__drift__'
        ]) as f
    from source
),

typed as (
    select
        record_no,
        j,
        j_type,
        f[1] as f_prompt_id, f[2] as f_gold, f[3] as f_messages, f[4] as f_verifier,
        f[5] as f_turn_rewards, f[6] as f_reward_details, f[7] as f_t_star, f[8] as f_answer_norms,
        f[9] as f_format_penalty, f[10] as f_reserved,
        json_type(f[1]) as ty_prompt_id, json_type(f[2]) as ty_gold, json_type(f[3]) as ty_messages,
        json_type(f[5]) as ty_turn_rewards, json_type(f[7]) as ty_t_star, json_type(f[8]) as ty_answer_norms,
        json_type(f[9]) as ty_format_penalty
    from fields
),

parsed as (
    select
        *,
        case when ty_prompt_id = 'VARCHAR' then f_prompt_id ->> '$' end as prompt_id,
        case when ty_gold = 'VARCHAR' then f_gold ->> '$' end as gold,
        case when ty_messages = 'ARRAY'
            then json_transform(f_messages, '[{"role": "VARCHAR", "content": "VARCHAR"}]') end as messages,
        case when ty_messages = 'ARRAY'
            then json_structure(f_messages) in ('[{"role":"VARCHAR","content":"VARCHAR"}]', '["NULL"]')
        end as messages_exact,
        case when ty_turn_rewards = 'OBJECT'
            then json_transform(f_turn_rewards, '"MAP(VARCHAR, DOUBLE)"') end as reward_map,
        case when ty_turn_rewards = 'OBJECT'
            then map_values(json_transform(json_structure(f_turn_rewards), '"MAP(VARCHAR, VARCHAR)"'))
        end as reward_types,
        case when ty_t_star in ('UBIGINT', 'BIGINT') then (f_t_star ->> '$')::bigint end as t_star,
        case when ty_answer_norms = 'ARRAY' then json_transform(f_answer_norms, '["VARCHAR"]') end
            as answer_norms,
        case when ty_answer_norms = 'ARRAY' then json_structure(f_answer_norms) in ('["VARCHAR"]', '["NULL"]')
        end as answer_norms_exact,
        case when ty_format_penalty in ('DOUBLE', 'UBIGINT', 'BIGINT') then (f_format_penalty ->> '$')::double
        end as format_penalty_value
    from typed
),

rewards as (
    select
        *,
        cardinality(reward_map)::bigint as max_turns,
        -- keys must be exactly t1..tK; the list is ordered by turn (element t-1 is r_t)
        list_sort(map_keys(reward_map))
            = list_sort(list_transform(range(1, cardinality(reward_map)::bigint + 1), lambda t: 't' || t))
            as reward_keys_ok,
        coalesce(list_bool_and(list_transform(map_values(reward_map), lambda r: r is not null and isfinite(r))), true)
            and coalesce(list_bool_and(list_transform(reward_types, lambda ty: ty in ('DOUBLE', 'UBIGINT', 'BIGINT'))), true)
            as reward_values_ok,
        list_transform(range(1, cardinality(reward_map)::bigint + 1), lambda t: reward_map['t' || t]) as turn_rewards,
        len(list_filter(messages, lambda m: m.role = 'assistant'))::bigint as num_turns
    from parsed
),

verified as (
    select
        *,
        -- the reference's verifier is 1 exactly at t_star over t1..tK; anything else is kept verbatim
        to_json(map_from_entries(list_transform(
            range(1, max_turns + 1), lambda t: {'k': 't' || t, 'v': coalesce(t = t_star, false)::integer}
        )))::varchar as verifier_derived,
        case when json_type(f_verifier) = 'OBJECT'
            then json_transform(f_verifier, '"MAP(VARCHAR, INTEGER)"') end as verifier_map
    from rewards
),

checked as (
    select
        *,
        case
            when j_type is distinct from 'OBJECT' then 'not a JSON object'
            when f_prompt_id is null then 'missing prompt_id'
            when ty_prompt_id <> 'VARCHAR' then 'prompt_id must be a string, got ' || ty_prompt_id
            when prompt_id = '' then 'prompt_id is empty'
            when f_reserved is not null then 'the key "__drift__" is reserved'
            when f_messages is null then 'missing messages'
            when ty_messages <> 'ARRAY' then 'messages must be a list, got ' || ty_messages
            when f_turn_rewards is null then 'missing turn_rewards'
            when ty_turn_rewards <> 'OBJECT' then 'turn_rewards must be an object, got ' || ty_turn_rewards
            when not reward_keys_ok then 'turn_rewards keys must be t1..tK, got ' || f_turn_rewards
            when not reward_values_ok then 'turn_rewards values must be finite numbers (no NaN/inf), got '
                || f_turn_rewards
            when ty_t_star not in ('UBIGINT', 'BIGINT', 'NULL') then 't_star must be an integer or null, got '
                || f_t_star
            when ty_answer_norms not in ('ARRAY', 'NULL') then 'answer_norms must be a list, got ' || f_answer_norms
            when ty_format_penalty not in ('DOUBLE', 'UBIGINT', 'BIGINT', 'NULL')
                then 'format_penalty must be a number, got ' || f_format_penalty
            when not isfinite(format_penalty_value) then 'format_penalty must be finite (no NaN/inf), got '
                || f_format_penalty
        end as problem
    from verified
),

extras as (
    select
        *,
        -- the unknown fields, verbatim and in their order
        json_merge_patch(j, '{"prompt_id": null, "gold": null, "messages": null, "verifier": null,
            "turn_rewards": null, "reward_details": null, "t_star": null, "answer_norms": null,
            "format_penalty": null}')::varchar as unknown,
        list_filter([
            case when f_gold is null then 'gold' end,
            case when f_verifier is null then 'verifier' end,
            case when f_reward_details is null then 'reward_details' end,
            case when f_t_star is null then 't_star' end,
            case when f_answer_norms is null then 'answer_norms' end,
            case when f_format_penalty is null then 'format_penalty' end
        ], lambda k: k is not null) as absent,
        list_filter([
            case when ty_gold not in ('VARCHAR', 'NULL') then '"gold":' || f_gold end,
            case when not messages_exact then '"messages":' || f_messages end,
            case when f_verifier is not null and f_verifier::varchar <> verifier_derived
                then '"verifier":' || f_verifier end,
            case when ty_answer_norms = 'NULL' or not answer_norms_exact
                then '"answer_norms":' || f_answer_norms end,
            case when ty_format_penalty = 'NULL' then '"format_penalty":null' end
        ], lambda p: p is not null) as overrides
    from checked
),

final as (
    select
        record_no,
        problem,
        $run_id::varchar as run_id,
        prompt_id,
        (row_number() over (partition by prompt_id order by record_no) - 1)::integer as sample_idx,
        $policy::varchar as policy,
        gold,
        coalesce(messages, []) as messages,
        num_turns::integer as num_turns,
        max_turns::integer as max_turns,
        t_star::integer as t_star,
        coalesce(format_penalty_value, 0.0) as format_penalty,
        coalesce(answer_norms, []) as answer_norms,
        turn_rewards,
        f_reward_details::json as reward_details,
        case
            when len(absent) = 0 and len(overrides) = 0 then (case when unknown <> '{}' then unknown end)
            else (case when unknown = '{}' then '{' else left(unknown, -1) || ',' end)
                || '"__drift__":{"absent":' || to_json(absent)::varchar
                || ',"override":{' || array_to_string(overrides, ',') || '}}}'
        end::json as extra,
        -- per-turn verifier outcome, for the turns table (the record's own values when given)
        case when f_verifier is not null
            then list_transform(range(1, max_turns + 1), lambda t: verifier_map['t' || t])
            else list_transform(range(1, max_turns + 1), lambda t: coalesce(t = t_star, false)::integer)
        end as verifier
    from extras
)

select * from final;

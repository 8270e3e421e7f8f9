-- import_staged (temp): the records of a reference-format trajectory JSONL (docs/design.md §1), typed and
-- checked, one row per record in file order. DuckDB's JSON reader parses the file (no Python per
-- line). Fields are read with the reference's types: messages as {role, content} (other keys of
-- a message object are not kept), strings as text, rewards and penalties as doubles; a value of
-- another type is converted where DuckDB can (e.g. a numeric gold becomes text) or is an error.
-- So that import -> export gives back each object equal as parsed JSON, `extra` holds the unknown
-- fields verbatim, plus a reserved "__drift__" object when needed: "absent" (known optional fields
-- the record did not have) and "override" (known fields the typed columns cannot reproduce, e.g. a
-- verifier that is not 1 exactly at t_star, a numeric gold); export takes those verbatim.
-- `problem` names the first thing wrong with a record (NULL when fine); nothing is written if any.
-- Params: $path (the .jsonl file), $run_id, $policy. Needs import_unusual.
-- The typed read goes into a temp table first: DuckDB keeps the file's order there (insertion order
-- is preserved), so rowid + 1 is the record number. `with ordinality` on the reader costs twice as much.
set preserve_insertion_order = true;  -- rowid below is the record number (the default, said aloud)
create or replace temp table import_raw as
select *
from read_json($path, format = 'newline_delimited', columns = {
    prompt_id: 'VARCHAR', gold: 'VARCHAR', messages: 'STRUCT(role VARCHAR, content VARCHAR)[]',
    verifier: 'JSON', turn_rewards: 'MAP(VARCHAR, DOUBLE)', reward_details: 'JSON', t_star: 'JSON',
    answer_norms: 'VARCHAR[]', format_penalty: 'DOUBLE'
});

create or replace temp table import_staged as
with source as (
    select rowid + 1 as record_no, *
    from import_raw
),

joined as (
    -- keys / unknown are NULL for the usual records, which have exactly the nine known keys
    select s.*, u.j_type, u.keys, u.unknown
    from source s
    left join import_unusual u using (record_no)
),

typed as (
    select
        *,
        json_type(t_star) as ty_t_star,
        cardinality(turn_rewards)::bigint as max_turns,
        len(list_filter(messages, lambda m: m.role = 'assistant'))::bigint as num_turns
    from joined
),

rewards as (
    select
        *,
        case when ty_t_star in ('UBIGINT', 'BIGINT') then t_star::bigint end as t_star_value,
        -- keys must be exactly t1..tK; the list is ordered by turn (element t-1 is r_t)
        list_sort(map_keys(turn_rewards))
            = list_sort(list_transform(range(1, max_turns + 1), lambda t: 't' || t)) as reward_keys_ok,
        list_transform(range(1, max_turns + 1), lambda t: turn_rewards['t' || t]) as turn_rewards_list
    from typed
),

checked as (
    select
        *,
        case
            when j_type is not null and j_type <> 'OBJECT' then 'not a JSON object'
            when prompt_id is null then 'missing prompt_id'
            when prompt_id = '' then 'prompt_id is empty'
            when list_contains(keys, '__drift__') then 'the key "__drift__" is reserved'
            when messages is null then 'missing messages'
            when turn_rewards is null then 'missing turn_rewards'
            when not reward_keys_ok then 'turn_rewards keys must be t1..tK, got ' || turn_rewards::varchar
            when not coalesce(list_bool_and(list_transform(turn_rewards_list, lambda r: isfinite(r))), true)
                then 'turn_rewards values must be finite numbers (no NaN/inf, no null), got '
                    || turn_rewards::varchar
            when ty_t_star not in ('UBIGINT', 'BIGINT', 'NULL') then 't_star must be an integer or null, got '
                || t_star
            when not isfinite(format_penalty) then 'format_penalty must be finite (no NaN/inf), got '
                || format_penalty::varchar
        end as problem
    from rewards
),

extras as (
    select
        *,
        -- known optional fields the record did not have (only unusual records can lack one)
        coalesce(list_filter(['gold', 'verifier', 'reward_details', 't_star', 'answer_norms', 'format_penalty'],
            lambda k: not list_contains(keys, k)), []) as absent,
        list_filter([
            -- the reference's verifier is 1 exactly at t_star over t1..tK; anything else is kept verbatim
            case when verifier is not null and verifier::varchar <> '{' || array_to_string(list_transform(
                    range(1, max_turns + 1), lambda t: '"t' || t || '":' || coalesce(t = t_star_value, false)::integer
                ), ',') || '}'
                then '"verifier":' || verifier end,
            -- JSON nulls where the typed column would give a default back
            case when format_penalty is null and coalesce(list_contains(keys, 'format_penalty'), true)
                then '"format_penalty":null' end,
            case when answer_norms is null and coalesce(list_contains(keys, 'answer_norms'), true)
                then '"answer_norms":null' end
        ], lambda p: p is not null) as overrides
    from checked
),

final as (
    select
        record_no,
        problem,
        $run_id::varchar as run_id,
        prompt_id,
        $policy::varchar as policy,
        gold,
        coalesce(messages, []) as messages,
        num_turns::integer as num_turns,
        max_turns::integer as max_turns,
        t_star_value::integer as t_star,
        coalesce(format_penalty, 0.0) as format_penalty,
        coalesce(answer_norms, []) as answer_norms,
        turn_rewards_list as turn_rewards,
        reward_details,
        case
            when len(absent) = 0 and len(overrides) = 0 then (case when unknown <> '{}' then unknown end)
            else (case when coalesce(unknown, '{}') = '{}' then '{' else left(unknown, -1) || ',' end)
                || '"__drift__":{"absent":' || to_json(absent)::varchar
                || ',"override":{' || array_to_string(overrides, ',') || '}}}'
        end::json as extra,
        -- per-turn verifier outcome for the turns table, only where it is not one-hot at t_star
        case when list_contains(overrides, '"verifier":' || verifier) and json_type(verifier) = 'OBJECT'
            then list_transform(range(1, max_turns + 1),
                lambda t: coalesce(json_extract_string(verifier, '$.t' || t) in ('1', 'true'), false)::integer)
        end as verifier
    from extras
)

select * from final;

drop table import_raw;

-- sample_idx numbers a prompt's records in file order; computed on two narrow columns (a window
-- over the wide rows would sort the messages too).
create or replace temp table import_sample_idx as
select record_no, (row_number() over (partition by prompt_id order by record_no) - 1)::integer as sample_idx
from import_staged;

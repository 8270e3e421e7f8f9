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
-- turn_rewards is read as the reference's weight_sft.py reads it: key t<n> is turn n, a missing turn
-- counts 0, other keys count nowhere; K (max_turns) is the last turn with a key. Keys t0, t<n> beyond
-- $max_reward_turn and two keys for one turn (t1, t01) are refused, and so is an object without a turn
-- key (K = 0). Every value (other keys' too) must be a finite JSON number: null, true/false and
-- strings ("1.0") are refused, not converted; so is a record whose return could overflow (sum of
-- |r_t| plus |format_penalty| not finite). t_star is null or an integer 1..K whose reward r_t* is > 0
-- (the first correct turn is rewarded). prompt_id must be a non-empty string (a number would come
-- back as text and share a prompt group with that string); format_penalty a finite number or null.
-- Params: $path (the .jsonl file), $run_id, $policy, $max_reward_turn. Needs import_unusual.
-- The typed read goes into a temp table first: DuckDB keeps the file's order there (insertion order
-- is preserved), so rowid + 1 is the record number. `with ordinality` on the reader costs twice as much.
set preserve_insertion_order = true;  -- rowid below is the record number (the default, said aloud)
create or replace temp table import_raw as
select *
from read_json($path, format = 'newline_delimited', columns = {
    prompt_id: 'JSON', gold: 'VARCHAR', messages: 'STRUCT(role VARCHAR, content VARCHAR)[]',
    verifier: 'JSON', turn_rewards: 'MAP(VARCHAR, JSON)', reward_details: 'JSON', t_star: 'JSON',
    answer_norms: 'VARCHAR[]', format_penalty: 'JSON'
});

create or replace temp table import_staged as
with source as (
    -- numbers are read as JSON first so that their JSON type can be checked (DuckDB would convert
    -- true, "1.0" and a numeric prompt_id silently); *_json hold the values as read, turn_rewards
    -- stays a map of JSON values, cast to double where used
    select
        rowid + 1 as record_no,
        * exclude (prompt_id, format_penalty),
        prompt_id as prompt_id_json,
        json_type(prompt_id) as ty_prompt_id,
        prompt_id ->> '$' as prompt_id,
        -- keys whose value is not a JSON number (null, a bool, a string, ...)
        list_filter(map_entries(turn_rewards), lambda e:
            coalesce(json_type(e.value) not in ('DOUBLE', 'UBIGINT', 'BIGINT'), true)) as non_numeric_rewards,
        format_penalty as format_penalty_json,
        json_type(format_penalty) as ty_format_penalty,
        try_cast(format_penalty as double) as format_penalty
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
        cardinality(turn_rewards)::bigint as reward_keys,
        len(list_filter(messages, lambda m: m.role = 'assistant'))::bigint as num_turns
    from joined
),

keyed as (
    select
        *,
        -- the usual keys: exactly t1..tK, K = their number
        list_sort(map_keys(turn_rewards))
            = list_sort(list_transform(range(1, reward_keys + 1), lambda t: 't' || t)) as usual_reward_keys
    from typed
),

turns_keyed as (
    select
        *,
        -- other keys are read as the reference reads them: a key t<digits> is that turn (t01 too), any
        -- other key ('bonus', 't3_extra') is no turn and counts nowhere; a turn without a key (a gap,
        -- t6..t9 of t1..t5, t10) has r_t = 0. The object itself is kept verbatim (overrides, below).
        case when not usual_reward_keys then list_transform(
            list_filter(map_entries(turn_rewards), lambda e: regexp_full_match(e.key, 't[0-9]+')),
            lambda e: {'t': try_cast(e.key[2:] as bigint), 'r': try_cast(e.value as double)})
        end as given_turns
    from keyed
),

rewards as (
    select
        *,
        case when ty_t_star in ('UBIGINT', 'BIGINT') then try_cast(t_star as bigint) end as t_star_value,
        -- K, the last turn with a reward key (bounded so a bad key cannot build a huge list)
        case when usual_reward_keys then reward_keys
            else least(coalesce(list_max(list_transform(given_turns, lambda e: e.t)), 0), $max_reward_turn)
        end as max_turns
    from turns_keyed
),

reward_lists as (
    select
        *,
        -- the list is ordered by turn: element t-1 is r_t
        case when usual_reward_keys
            then list_transform(range(1, max_turns + 1), lambda t: try_cast(turn_rewards['t' || t] as double))
            else list_transform(range(1, max_turns + 1), lambda t: case
                when list_contains(list_transform(given_turns, lambda e: e.t), t)
                    then list_filter(given_turns, lambda e: e.t = t)[1].r
                else 0.0::double end)
        end as turn_rewards_list
    from rewards
),

checked as (
    select
        *,
        case
            when j_type is not null and j_type <> 'OBJECT' then 'not a JSON object'
            when ty_prompt_id is null then 'missing prompt_id'
            when ty_prompt_id <> 'VARCHAR' then 'prompt_id must be a string, got ' || prompt_id_json
            when prompt_id = '' then 'prompt_id is empty'
            when list_contains(keys, '__drift__') then 'the key "__drift__" is reserved'
            when messages is null then 'missing messages'
            when turn_rewards is null then 'missing turn_rewards'
            when len(non_numeric_rewards) > 0
                then 'turn_rewards values must be finite numbers (null, true/false and strings are refused), '
                    || 'got ' || to_json(non_numeric_rewards[1].key) || ': '
                    || coalesce(non_numeric_rewards[1].value::varchar, 'null')
            when list_bool_or(list_transform(given_turns, lambda e: e.t is null or e.t < 1 or e.t > $max_reward_turn))
                then 'turn_rewards keys t<n> must name turns 1..' || $max_reward_turn || ', got '
                    || to_json(turn_rewards)
            when len(list_distinct(list_transform(given_turns, lambda e: e.t))) < len(given_turns)
                then 'turn_rewards names a turn twice (e.g. t1 and t01), got ' || to_json(turn_rewards)
            when not coalesce(list_bool_and(list_transform(map_values(turn_rewards),
                    lambda r: isfinite(try_cast(r as double)))), true)
                then 'turn_rewards values must be finite numbers (no NaN/inf), got ' || to_json(turn_rewards)
            when max_turns = 0
                then 'turn_rewards has no turn (needs keys t1..tK with K >= 1), got ' || to_json(turn_rewards)
            when ty_format_penalty not in ('DOUBLE', 'UBIGINT', 'BIGINT')
                then 'format_penalty must be a finite number or null, got ' || format_penalty_json
            when not isfinite(format_penalty) then 'format_penalty must be finite (no NaN/inf), got '
                || format_penalty::varchar
            -- each term of the return is bounded by these (gamma <= 1), so it cannot overflow to inf
            when not isfinite(list_sum(list_transform(turn_rewards_list, lambda r: abs(r)))
                    + abs(coalesce(format_penalty, 0)))
                then 'turn_rewards too large: the return (sum of the rewards and format_penalty) overflows, got '
                    || to_json(turn_rewards)
            when ty_t_star not in ('UBIGINT', 'BIGINT', 'NULL') then 't_star must be an integer or null, got '
                || t_star
            when ty_t_star <> 'NULL' and coalesce(t_star_value not between 1 and max_turns, true)
                then 't_star must be null or a turn 1..' || max_turns || ' (K, the last turn in turn_rewards), got '
                    || t_star
            when not turn_rewards_list[t_star_value] > 0
                then 't_star ' || t_star_value || ' is not consistent with turn_rewards: the first correct turn must '
                    || 'have a reward > 0, got ' || to_json(turn_rewards)
        end as problem
    from reward_lists
),

extras as (
    select
        *,
        -- known optional fields the record did not have (only unusual records can lack one)
        coalesce(list_filter(['gold', 'verifier', 'reward_details', 't_star', 'answer_norms', 'format_penalty'],
            lambda k: not list_contains(keys, k)), []) as absent,
        list_filter([
            -- turn_rewards with keys other than t1..tK (gaps, extra keys): the object as read, verbatim
            case when not usual_reward_keys then '"turn_rewards":' || to_json(turn_rewards) end,
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

-- Synthetic trajectories rows (columns of sql/tables/trajectories.sql) for the 10M-row weights
-- benchmark, generated in DuckDB because 10M full JSONL records would take ~10 GB and an hour.
-- Same shape as drift_core/testing/reference_records.py: 16 trajectories per prompt, a per-prompt
-- success probability in {0, 0.05, 0.2, 0.4, 0.7} (so ~20% of prompts fail in every trajectory),
-- up to 5 turns, the episode ends at the first correct turn, 5% malformed turns (-0.1 each),
-- wrong answers drawn from 4 candidates (repeats happen). Short messages (the weights SQL never
-- reads them). Params: $first, $last (trajectory numbers, [first, last)), $run_id.
with ids as (
    select i, i // 16 as p, (i % 16)::integer as s from range($first, $last) t(i)
),

drawn as (
    select
        *,
        list_extract([0.0, 0.05, 0.2, 0.4, 0.7]::double[], (1 + hash(p, 'level') % 5)::bigint) as p_correct,
        list_transform(range(1, 6), lambda t: (hash(i, t, 'u') % 1000000) / 1e6) as u
    from ids
),

episodes as (
    select
        *,
        nullif(list_position(list_transform(u, lambda x: x < p_correct), true), 0) as t_star
    from drawn
),

final as (
    select
        $run_id::varchar as run_id,
        'MATH_' || p as prompt_id,
        s as sample_idx,
        'synthetic' as policy,
        '42' as gold,
        [{'role': 'user', 'content': 'What is 20 + 22?'},
         {'role': 'assistant', 'content': '<answer>42</answer>'}]::struct(role varchar, content varchar)[]
            as messages,
        coalesce(t_star, 5)::integer as num_turns,
        5 as max_turns,
        t_star::integer as t_star,
        -0.1 * len(list_filter(u[1:coalesce(t_star, 5)], lambda x: x > 0.95)) as format_penalty,
        list_transform(
            list_filter(u[1:coalesce(t_star, 5)], lambda x: x <= 0.95),
            lambda x: case when x < p_correct then '42' else (40 + (hash(x) % 4)::bigint)::varchar end
        ) as answer_norms,
        list_transform(range(1, 6), lambda t: (t = t_star)::double) as turn_rewards,
        null::json as reward_details,
        null::json as extra
    from episodes
)

select * from final;

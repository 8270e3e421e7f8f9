-- The turns rows of one shard of import_staged: one row per assistant message (turn t = its
-- position among the assistant messages), in the columns of sql/tables/turns.sql.
-- From the record: response = the message, reward = turn_rewards.tK, correct = verifier.tK = 1
-- (t = t_star where the verifier is the usual one-hot), format_penalty / answer = reward_details.tK's
-- format_penalty / actions[0]; format_ok = an answer was parsed (no details: no penalty);
-- answer_norm = the next unused entry of answer_norms when the turn had an answer (the reference
-- appends one per executed answer), else ''. completion_tokens is unknown for imports: 0.
-- Params: $first, $last (record numbers, 1-based, inclusive).
with staged_in as (
    select
        record_no, run_id, prompt_id, sample_idx, turn_rewards, verifier, t_star, answer_norms,
        list_filter(messages, lambda m: m.role = 'assistant') as assistant,
        -- one parse of the details per record: {"t1": {format_penalty, actions}, ...}
        json_transform(reward_details, '"MAP(VARCHAR, STRUCT(format_penalty DOUBLE, actions VARCHAR[]))"')
            as details
    from import_staged
    join import_sample_idx using (record_no)
    where record_no between $first and $last
),

per_record as (
    select
        *,
        list_transform(range(1, len(assistant) + 1), lambda t: details['t' || t]) as turn_details
    from staged_in
),

per_turn as (
    select
        record_no, run_id, prompt_id, sample_idx, turn_rewards, verifier, t_star, answer_norms, assistant,
        turn_details,
        unnest(range(1, len(assistant) + 1)) as turn
    from per_record
),

final as (
    select
        run_id,
        prompt_id,
        sample_idx,
        turn::integer as turn,
        coalesce(assistant[turn].content, '') as response,
        turn_details[turn].actions[1] as answer,
        coalesce(case when turn_details[turn].actions[1] is not null
            -- answers given up to and including this turn = index into answer_norms
            then answer_norms[len(list_filter(turn_details[1:turn], lambda d: d.actions[1] is not null))]
        end, '') as answer_norm,
        coalesce(verifier[turn] = 1, turn = t_star, false) as correct,
        coalesce(turn_rewards[turn], 0.0) as reward,
        case when turn_details[turn] is not null then turn_details[turn].actions[1] is not null
            else coalesce(turn_details[turn].format_penalty, 0.0) = 0 end as format_ok,
        coalesce(turn_details[turn].format_penalty, 0.0) as format_penalty,
        0 as completion_tokens
    from per_turn
    order by record_no, turn
)

select * from final;

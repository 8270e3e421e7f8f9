-- The turns rows of one shard of import_staged: one row per assistant message (turn t = its
-- position among the assistant messages), in the columns of sql/tables/turns.sql.
-- From the record: response = the message, reward = turn_rewards.tK, correct = verifier.tK = 1,
-- format_penalty / answer = reward_details.tK's format_penalty / actions[0]; format_ok = an answer
-- was parsed; answer_norm = the next unused entry of answer_norms when the turn had an answer
-- (the reference appends one per executed answer), else ''. completion_tokens is unknown: 0.
-- Params: $first, $last (record numbers, 1-based, inclusive).
with staged_in as (
    select
        record_no, run_id, prompt_id, sample_idx, turn_rewards, verifier, answer_norms, reward_details,
        list_filter(messages, lambda m: m.role = 'assistant') as assistant
    from import_staged
    where record_no between $first and $last
),

per_turn as (
    select
        s.*,
        u.turn,
        s.reward_details -> ('$.t' || u.turn) as detail
    from staged_in s, unnest(range(1, len(s.assistant) + 1)) as u(turn)
),

parsed as (
    select
        *,
        detail ->> '$.actions[0]' as answer,
        coalesce((detail ->> '$.format_penalty')::double, 0.0) as turn_format_penalty
    from per_turn
),

numbered as (
    select
        *,
        -- how many answers were given up to and including this turn (index into answer_norms)
        count(answer) over (partition by record_no order by turn) as answers_so_far
    from parsed
),

final as (
    select
        run_id,
        prompt_id,
        sample_idx,
        turn::integer as turn,
        coalesce(assistant[turn].content, '') as response,
        answer,
        coalesce(case when answer is not null then answer_norms[answers_so_far] end, '') as answer_norm,
        coalesce(verifier[turn] = 1, false) as correct,
        coalesce(turn_rewards[turn], 0.0) as reward,
        case when detail is not null then answer is not null else turn_format_penalty = 0 end as format_ok,
        turn_format_penalty as format_penalty,
        0 as completion_tokens
    from numbered
    order by record_no, turn
)

select * from final;

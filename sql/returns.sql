-- returns: the return R of each trajectory of the selected runs at discount $gamma (DESIGN §1):
--     R = sum_t gamma^(t-1) * r_t  +  format_penalty  -  repeat_penalty
--     repeat_penalty = 0.5 * (1 - distinct(non-empty answer_norms) / len(answer_norms)), 0 if none
-- Same arithmetic as the reference's weight_sft.py (missing reward -> 0, empty answers skipped).
-- Params: $run_ids varchar[] (runs to refresh), $gamma double.
-- Refresh = replace the rows of those runs at this gamma, so reruns never duplicate.
delete from returns where gamma = $gamma and list_contains($run_ids, run_id);

insert into returns by name
with trajectories_in as (
    select run_id, prompt_id, sample_idx, t_star, num_turns, turn_rewards, format_penalty, answer_norms
    from trajectories
    where list_contains($run_ids, run_id)
),

discounted as (
    select
        *,
        -- element i (1-based) is turn t = i: weight gamma^(t-1); a NULL reward counts as 0.
        coalesce(
            list_sum(list_transform(turn_rewards, lambda r, i: coalesce(r, 0.0) * pow($gamma, i - 1))),
            0.0
        ) as discounted_return,
        len(answer_norms) as answers,
        -- distinct non-NULL answers, not counting '' (a turn without an answer)
        list_unique(answer_norms) - list_contains(answer_norms, '')::integer as distinct_answers
    from trajectories_in
),

penalised as (
    select
        *,
        case when answers > 0
            then greatest(0.0, 0.5 * (1.0 - distinct_answers / answers))
            else 0.0
        end as repeat_penalty
    from discounted
),

final as (
    select
        run_id,
        prompt_id,
        sample_idx,
        $gamma::double as gamma,
        t_star is not null as solved,
        t_star,
        num_turns,
        discounted_return,
        coalesce(format_penalty, 0.0) as format_penalty,
        repeat_penalty,
        discounted_return + coalesce(format_penalty, 0.0) - repeat_penalty as "return"
    from penalised
)

select * from final;

-- returns: the return R of each trajectory of the selected runs at discount $gamma and repeat-penalty
-- scale $repeat_penalty_lambda (protocol.repeat_penalty_lambda; docs/design.md §1):
--     R = sum_t gamma^(t-1) * r_t  +  format_penalty  -  repeat_penalty
--     repeat_penalty = lambda * (1 - distinct(non-empty answer_norms) / len(answer_norms)), 0 if none
-- Same arithmetic as the reference's weight_sft.py (lambda 0.5 there; missing reward -> 0, empty
-- answers not counted as distinct but counted in len).
-- Params: $run_ids varchar[] (runs to refresh), $gamma double, $repeat_penalty_lambda double (>= 0).
-- Needs prompt_groups of those runs. Materialising it replaces the rows of those runs at this gamma
-- and lambda, so reruns never duplicate, and deletes what was computed from the replaced rows (the
-- tables that depend on returns, at the same runs, gamma and lambda: sql/tables/*.sql declare them).
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
        -- distinct answers, not counting '' (a turn without an answer) or NULL: keep each answer at
        -- its first position only (3x cheaper than list_unique here)
        len(list_filter(answer_norms, lambda a, i: a <> '' and list_position(answer_norms, a) = i))
            as distinct_answers
    from trajectories_in
),

penalised as (
    select
        *,
        case when answers > 0
            then greatest(0.0, $repeat_penalty_lambda * (1.0 - distinct_answers / answers))
            else 0.0
        end as repeat_penalty
    from discounted
),

final as (
    select
        p.run_id,
        p.prompt_id,
        p.sample_idx,
        $gamma::double as gamma,
        $repeat_penalty_lambda::double as repeat_penalty_lambda,
        p.t_star is not null as solved,
        p.t_star,
        p.num_turns,
        p.discounted_return,
        coalesce(p.format_penalty, 0.0) as format_penalty,
        p.repeat_penalty,
        p.discounted_return + coalesce(p.format_penalty, 0.0) - p.repeat_penalty as "return",
        g.group_key
    from penalised p
    join prompt_groups g using (run_id, prompt_id)
)

select * from final;

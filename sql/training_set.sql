-- training_set: the weighted SFT dataset of one run and weighting: each trajectory's messages with
-- its weight (the trainer learns the last assistant message given the ones before it, docs/design.md §1).
-- Params: $run_id, $scheme, $beta_spec, $gamma, $repeat_penalty_lambda. Ordered by (prompt_id, sample_idx)
-- for reproducibility.
with weights_in as (
    select run_id, prompt_id, sample_idx, scheme, beta, gamma, "return", solved, weight
    from weights
    where run_id = $run_id and scheme = $scheme and beta_spec = $beta_spec and gamma = $gamma
        and repeat_penalty_lambda = $repeat_penalty_lambda
),

trajectories_in as (
    select run_id, prompt_id, sample_idx, messages, num_turns, t_star
    from trajectories
    where run_id = $run_id
),

final as (
    select
        w.run_id,
        w.prompt_id,
        w.sample_idx,
        t.messages,
        w.weight,
        w."return",
        w.solved,
        t.num_turns,
        t.t_star,
        w.scheme,
        w.beta,
        w.gamma
    from weights_in w
    join trajectories_in t using (run_id, prompt_id, sample_idx)
    order by w.prompt_id, w.sample_idx
)

select * from final;

-- training_set: the weighted SFT dataset of one run and weighting: each trajectory's messages with
-- its weight (the trainer learns the last assistant message given the ones before it, docs/design.md §1).
-- Params: $run_id and the weighting's whole key (sql/tables/weightings.sql; drift_core/weights.py
-- weighting_key): $scheme, $beta_spec, $gamma, $repeat_penalty_lambda, $target_ess, $all_fail_zero,
-- $weight_cap, $beta_pool. Ordered by (prompt_id, sample_idx) for reproducibility.
with weights_in as (
    select run_id, prompt_id, sample_idx, scheme, beta, gamma, "return", solved, weight
    from weights
    where run_id = $run_id and scheme = $scheme and beta_spec = $beta_spec and gamma = $gamma
        and repeat_penalty_lambda = $repeat_penalty_lambda and target_ess = $target_ess
        and all_fail_zero = $all_fail_zero and weight_cap = $weight_cap and beta_pool = $beta_pool
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

-- The weight_diagnostics rows of one weighting for the given runs (what compute_weights returns).
-- Params: $run_ids varchar[] and the weighting's key (sql/weightings.sql): $scheme, $beta_spec, $gamma,
-- $repeat_penalty_lambda, $target_ess, $all_fail_zero, $weight_cap, $beta_pool.
with diagnostics_in as (
    select *
    from weight_diagnostics
    where list_contains($run_ids, run_id) and scheme = $scheme and beta_spec = $beta_spec and gamma = $gamma
        and repeat_penalty_lambda = $repeat_penalty_lambda and target_ess = $target_ess
        and all_fail_zero = $all_fail_zero and weight_cap = $weight_cap and beta_pool = $beta_pool
),

final as (
    select * from diagnostics_in order by run_id
)

select * from final;

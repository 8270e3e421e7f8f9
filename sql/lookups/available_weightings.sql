-- The weightings computed for a run, by their key (to name the alternatives when a requested one is
-- missing, or to find the one weighting a caller names without its options). Params: $run_id.
with diagnostics_in as (
    select scheme, beta_spec, gamma, repeat_penalty_lambda, target_ess, all_fail_zero, weight_cap, beta_pool
    from weight_diagnostics
    where run_id = $run_id
),

final as (
    select * from diagnostics_in
    order by scheme, beta_spec, gamma, repeat_penalty_lambda, target_ess, all_fail_zero, weight_cap, beta_pool
)

select * from final;

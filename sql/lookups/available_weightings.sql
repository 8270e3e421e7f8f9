-- The weightings computed for a run (to name the alternatives when a requested one is missing).
-- Params: $run_id.
with diagnostics_in as (
    select scheme, beta_spec, beta, gamma, repeat_penalty_lambda from weight_diagnostics where run_id = $run_id
),

final as (
    select * from diagnostics_in order by scheme, beta_spec, gamma, repeat_penalty_lambda
)

select * from final;

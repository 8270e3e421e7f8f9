-- The weight_diagnostics rows of one weighting for the given runs (what compute_weights returns).
-- Params: $run_ids varchar[], $scheme, $beta_spec, $gamma, $repeat_penalty_lambda.
with diagnostics_in as (
    select *
    from weight_diagnostics
    where list_contains($run_ids, run_id) and scheme = $scheme and beta_spec = $beta_spec and gamma = $gamma
        and repeat_penalty_lambda = $repeat_penalty_lambda
),

final as (
    select * from diagnostics_in order by run_id
)

select * from final;

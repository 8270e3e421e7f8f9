-- bench_weights (c): the drift weights of one (beta_spec, gamma), to compare with (a) row by row.
-- Params: $b (beta_spec), $g (gamma).
with weights_in as (
    select prompt_id, sample_idx, weight from weights where scheme = 'drift' and beta_spec = $b and gamma = $g
),

final as (
    select * from weights_in
)

select * from final;

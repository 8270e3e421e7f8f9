-- The policy (model path or hub id) that generated a run: what `drift train` fine-tunes by default.
-- Params: $run_id. One row: policy (NULL when the run has no trajectories).
with trajectories_in as (
    select policy from trajectories where run_id = $run_id
),

final as (
    select any_value(policy) as policy from trajectories_in
)

select * from final;

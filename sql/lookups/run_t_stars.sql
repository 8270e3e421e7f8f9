-- Per run: trajectories and the first correct turn of each solved one (the sampled multi@k of a
-- rollout: share solved within k turns). Params: $run_id. One row: trajectories, t_stars (int[]).
with trajectories_in as (
    select t_star from trajectories where run_id = $run_id
),

final as (
    select count(*) as trajectories, list(t_star) filter (where t_star is not null) as t_stars
    from trajectories_in
)

select * from final;

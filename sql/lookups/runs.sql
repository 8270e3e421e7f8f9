-- The runs in the trajectories view, with their sizes (used to resolve run_id=None and to name runs) and
-- their round of iterative DRIFT: round k >= 2 is named `<run_id>-round<k>` (drift_core.rollout.round_run_id);
-- every other run, an old warehouse's included, is round 1.
with trajectories_in as (
    select run_id from trajectories
),

final as (
    select
        run_id,
        count(*) as trajectories,
        coalesce(try_cast(regexp_extract(run_id, '-round([0-9]+)$', 1) as integer), 1) as round
    from trajectories_in
    group by run_id
    order by run_id
)

select * from final;

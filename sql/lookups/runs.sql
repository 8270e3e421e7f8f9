-- The runs in the trajectories view, with their sizes (used to resolve run_id=None and to name runs).
with trajectories_in as (
    select run_id from trajectories
),

final as (
    select run_id, count(*) as trajectories
    from trajectories_in
    group by run_id
    order by run_id
)

select * from final;

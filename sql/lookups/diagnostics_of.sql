-- The weight_diagnostics rows of one weighting for the given runs (what compute_weights returns): the
-- weighting is the temp table weighting_in (sql/weighting_in.sql, made by drift_core/weights.py
-- select_weighting). No parameters.
with diagnostics_in as (
    select *
    from weight_diagnostics
    where weighting_id in (select weighting_id from weighting_in)
),

final as (
    select * from diagnostics_in order by run_id
)

select * from final;

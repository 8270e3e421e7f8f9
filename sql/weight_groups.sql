-- weight_groups: per prompt group of one weighting, from its weight_rows (sql/weight_rows.sql):
--     group_size, group_ess = (sum w)^2 / sum w^2 (0 when all w = 0), solved count, weight sums.
-- Reads the weighting being written from the temp table weighting_in (sql/weighting_in.sql); no
-- parameters. No join: weight_rows carries `solved`.
with rows_in as (
    select weighting_id, group_key, weight, solved
    from weight_rows
    where weighting_id in (select weighting_id from weighting_in)
),

final as (
    select
        weighting_id,
        group_key,
        count(*)::integer as group_size,
        case when sum(weight * weight) > 0 then sum(weight) * sum(weight) / sum(weight * weight) else 0.0 end
            as group_ess,
        count(*) filter (where solved)::integer as solved_trajectories,
        sum(weight) as weight_sum,
        coalesce(sum(weight) filter (where solved), 0.0) as solved_weight_sum,
        max(weight) as max_weight,
        count(*) filter (where weight = 0)::integer as zero_weights
    from rows_in
    group by weighting_id, group_key
)

select * from final;

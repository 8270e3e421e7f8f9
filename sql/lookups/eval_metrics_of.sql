-- The eval_metrics rows of one evaluation in display order: multi@k first, then the other @-metrics
-- by name and k, then mean_turns / repeat_share. Params: $eval_id.
with metrics_in as (
    select metric, k, value, ci_low, ci_high, n, successes, ci_method
    from eval_metrics
    where eval_id = $eval_id
),

final as (
    select *
    from metrics_in
    order by split_part(metric, '@', 1) = 'multi' desc, split_part(metric, '@', 1), k nulls last
)

select * from final;

-- The eval_metrics rows of one evaluation in display order: multi@k first, then (hidden-option items) the
-- optimum, the share of it and multi@k on the hidden items, then the other @-metrics
-- by name and k, then mean_turns / repeat_share. Params: $eval_id.
with metrics_in as (
    select metric, k, value, ci_low, ci_high, n, successes, ci_method
    from eval_metrics
    where eval_id = $eval_id
),

final as (
    select *
    from metrics_in
    order by case split_part(metric, '@', 1)
                 when 'multi' then 0 when 'optimum' then 1 when 'optimum_share' then 2 when 'hidden_multi' then 3
                 else 4 end,
             split_part(metric, '@', 1), k nulls last
)

select * from final;

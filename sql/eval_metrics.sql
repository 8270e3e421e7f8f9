-- eval_metrics: one row per metric of one evaluation (docs/design.md §1, §5), each with a confidence interval.
-- Parameters: $eval_id, $z (normal quantile of the confidence level), $confidence, $n_boot (bootstrap
-- replicates). Proportions get Wilson score intervals; means and shares of answers get percentile bootstrap
-- intervals over problems, resampled with a hash of (replicate, draw), so the same data gives the same interval.
-- Hidden-option items (prompts.hidden_options set: the right option cannot be inferred from the text,
-- docs/design.md §1) add optimum@k (the elimination optimum's multi@k over the whole set: 1 per known item,
-- least(1, k / hidden_options) per hidden one), optimum_share@k (multi@k / optimum@k), hidden_multi@k
-- (multi@k on the hidden items alone) and elimination (on hidden items, the share of well-formed answers
-- after feedback that pick an option not rejected earlier in the episode; 1.0 is optimal). prompts is read,
-- not a dependency: an evaluated prompt's row is never replaced by another question or gold.
-- Key, dependencies and the replaced rows (those of $eval_id): sql/tables/eval_metrics.sql.
with
-- input CTEs ------------------------------------------------------------------------------------
trajectories as (
    select * from eval_trajectories where eval_id = $eval_id
),
turns as (
    select * from eval_turns where eval_id = $eval_id
),
hidden as (
    select prompt_id, hidden_options from prompts
    where hidden_options is not null and prompt_id in (select prompt_id from trajectories)
),
-- logic CTEs ------------------------------------------------------------------------------------
header as (
    select any_value(model) as model, any_value(dataset) as dataset, max(max_turns) as max_k
    from trajectories
),
ks as (
    select unnest(generate_series(1, (select max_k from header))) as k
),
-- an answer repeats when the same normalised answer was given at an earlier turn of the problem
answers as (
    select
        prompt_id,
        turn,
        exists (
            select 1 from turns e
            where e.prompt_id = t.prompt_id and e.turn < t.turn and e.format_ok and e.answer_norm = t.answer_norm
        ) as repeated
    from turns t
    where t.format_ok and t.turn >= 2
),
-- on hidden items: an answer after feedback eliminates when it is no option rejected before (an earlier
-- well-formed wrong answer of the same episode)
eliminations as (
    select
        t.prompt_id,
        not exists (
            select 1 from turns e
            where e.prompt_id = t.prompt_id and e.turn < t.turn and e.format_ok and not e.correct
              and e.answer_norm = t.answer_norm
        ) as eliminates
    from turns t join hidden using (prompt_id)
    where t.format_ok and t.turn >= 2
),
elimination_per_problem as (
    select prompt_id, count(*) filter (where eliminates) as eliminating, count(*) as hidden_answers
    from eliminations group by prompt_id
),
per_problem as (
    select
        tr.prompt_id,
        tr.num_turns,
        tr.t_star,
        coalesce(sum(a.repeated::int), 0) as repeats,
        count(a.turn) as answers_after_feedback,
        any_value(h.hidden_options) as hidden_options,
        coalesce(any_value(el.eliminating), 0) as eliminating,
        coalesce(any_value(el.hidden_answers), 0) as hidden_answers,
        row_number() over (order by tr.prompt_id) - 1 as pos
    from trajectories tr
    left join answers a using (prompt_id)
    left join hidden h using (prompt_id)
    left join elimination_per_problem el using (prompt_id)
    group by tr.prompt_id, tr.num_turns, tr.t_star
),
has_hidden as (
    select exists (select 1 from hidden) as yes
),
proportions as (
    select 'multi@' || k as metric, k,
           count(*) as n, count(*) filter (where t_star <= k) as successes
    from per_problem, ks group by k
    union all
    select 'turn_acc@' || k, k,
           count(t.turn), count(t.turn) filter (where t.correct)
    from ks left join turns t on t.turn = ks.k group by k
    union all
    -- solved at turn t among problems that reached turn t wrong at every earlier turn
    select 'correction_rate@' || k, k,
           count(*) filter (where num_turns >= k and (t_star is null or t_star >= k)),
           count(*) filter (where t_star = k)
    from per_problem, ks where k >= 2 group by k
    union all
    -- over all turns: solved at a later turn among the problems not solved at turn 1 (the result table's
    -- "correction rate"; its one definition)
    select 'correction_rate', null,
           count(*) filter (where t_star is null or t_star > 1),
           count(*) filter (where t_star > 1)
    from per_problem
    union all
    select 'hidden_multi@' || k, k,
           count(*), count(*) filter (where t_star <= k)
    from per_problem, ks where hidden_options is not null group by k
),
-- the elimination optimum: a fixed figure of the evaluated set, exact (no interval)
optimum as (
    select 'optimum@' || k as metric, k, count(*) as n,
           sum(case when hidden_options is null then 1.0 else least(1.0, k / hidden_options) end) as successes
    from per_problem, ks where (select yes from has_hidden) group by k
),
exact as (
    select metric, k, n, successes::double as successes, successes / n as value, successes / n as ci_low,
           successes / n as ci_high, 'exact' as ci_method
    from optimum
),
wilson as (
    select
        metric, k, n, successes,
        successes / nullif(n, 0) as p,
        ($z * $z) / nullif(n, 0) as z2n
    from proportions
),
wilson_ci as (
    select
        metric, k, n, successes::double as successes, p as value,
        (p + z2n / 2) / (1 + z2n) - $z * sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n) as ci_low,
        (p + z2n / 2) / (1 + z2n) + $z * sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n) as ci_high,
        'wilson' as ci_method
    from wilson
),
draws as (
    -- replicate b draws n problems with replacement: position = hash(b, j) mod n
    select b, (hash(b, j) % (select count(*) from per_problem))::bigint as pos
    from range(1, $n_boot + 1) r(b), range(0, (select count(*) from per_problem)) d(j)
),
replicates as (
    select
        d.b,
        avg(p.num_turns) as mean_turns,
        sum(p.repeats) / nullif(sum(p.answers_after_feedback), 0) as repeat_share,
        sum(p.eliminating) / nullif(sum(p.hidden_answers), 0) as elimination
    from draws d join per_problem p using (pos)
    group by d.b
),
means as (
    select
        'mean_turns' as metric, null::integer as k, count(*) as n, null::double as successes,
        avg(num_turns) as value,
        (select quantile_cont(mean_turns, (1 - $confidence) / 2) from replicates) as ci_low,
        (select quantile_cont(mean_turns, (1 + $confidence) / 2) from replicates) as ci_high,
        'bootstrap' as ci_method
    from per_problem
    union all
    select
        'repeat_share', null, sum(answers_after_feedback), sum(repeats),
        sum(repeats) / nullif(sum(answers_after_feedback), 0),
        (select quantile_cont(repeat_share, (1 - $confidence) / 2) from replicates),
        (select quantile_cont(repeat_share, (1 + $confidence) / 2) from replicates),
        'bootstrap'
    from per_problem
    union all
    select
        'elimination', null, sum(hidden_answers), sum(eliminating),
        sum(eliminating) / nullif(sum(hidden_answers), 0),
        (select quantile_cont(elimination, (1 - $confidence) / 2) from replicates),
        (select quantile_cont(elimination, (1 + $confidence) / 2) from replicates),
        'bootstrap'
    from per_problem
    having (select yes from has_hidden)  -- no hidden items, no row (an aggregate always gives one)
),
-- each model's share of the optimum: multi@k and its interval over optimum@k
shares as (
    select 'optimum_share@' || w.k as metric, w.k, w.n, w.successes,
           w.value / o.value as value, w.ci_low / o.value as ci_low, w.ci_high / o.value as ci_high,
           w.ci_method
    from wilson_ci w join exact o on o.metric = 'optimum@' || w.k
    where w.metric = 'multi@' || w.k
),
final as (
    select
        $eval_id as eval_id, h.model, h.dataset, m.metric, m.k, m.value,
        m.ci_low, m.ci_high, m.n, m.successes, m.ci_method, $confidence as confidence
    from (
        select * from wilson_ci union all select * from means union all select * from exact
        union all select * from shares
    ) m, header h
)
select * from final;

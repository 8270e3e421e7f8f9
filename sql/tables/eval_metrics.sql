-- eval_metrics: one row per metric of one evaluation (docs/design.md §1, §5), each with a confidence interval;
-- built by sql/eval_metrics.sql from the evaluation's eval_trajectories and eval_turns.
-- key: eval_id, metric
-- depends: eval_trajectories, eval_turns
-- scope: eval_id = $eval_id
create table if not exists eval_metrics (
    eval_id     varchar not null,
    model       varchar not null,
    dataset     varchar not null,
    metric      varchar not null,   -- multi@k, turn_acc@t, correction_rate@t, correction_rate, mean_turns, repeat_share;
                                    -- with hidden-option items also optimum@k, optimum_share@k,
                                    -- hidden_multi@k, elimination
    k           integer,            -- the k or t of an @-metric, NULL otherwise
    value       double,             -- NULL when its denominator is 0
    ci_low      double,
    ci_high     double,
    n           integer not null,   -- denominator: problems (or answers for repeat_share)
    successes   double,             -- numerator of a proportion (NULL for mean_turns)
    ci_method   varchar not null,   -- wilson | bootstrap | exact (optimum@k: a fixed figure of the set)
    confidence  double not null,
    created_at  timestamp not null default current_timestamp,
    primary key (eval_id, metric)
);

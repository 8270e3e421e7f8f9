-- training_set: the weighted SFT dataset of one run and weighting: each trajectory's messages with
-- its weight (the trainer learns the last assistant message given the ones before it, docs/design.md §1).
-- The weighting is the temp table weighting_in (sql/weighting_in.sql, made for [$run_id] and the key by
-- drift_core/weights.py select_weighting). Params: $run_id. Ordered by (prompt_id, sample_idx) for
-- reproducibility.
-- Reads weight_rows joined to returns as the `weights` view joins them (sql/tables/weights.sql), not the
-- view: the view has no weighting_id to select by (an id is not a stable name for users' SQL: a
-- recomputed weighting may get another), and a warehouse's stored view is re-made only when a stage
-- opens it for writing, never by these read-only readers.
with weights_in as (
    select r.run_id, r.prompt_id, wr.sample_idx, w.scheme, w.beta, w.gamma, r."return", r.solved, wr.weight
    from weight_rows wr
    join weighting_in w using (weighting_id)
    join returns r on r.group_key = wr.group_key and r.sample_idx = wr.sample_idx and r.gamma = w.gamma
        and r.repeat_penalty_lambda = w.repeat_penalty_lambda
),

trajectories_in as (
    select run_id, prompt_id, sample_idx, messages, num_turns, t_star
    from trajectories
    where run_id = $run_id
),

final as (
    select
        w.run_id,
        w.prompt_id,
        w.sample_idx,
        t.messages,
        w.weight,
        w."return",
        w.solved,
        t.num_turns,
        t.t_star,
        w.scheme,
        w.beta,
        w.gamma
    from weights_in w
    join trajectories_in t using (run_id, prompt_id, sample_idx)
    order by w.prompt_id, w.sample_idx
)

select * from final;

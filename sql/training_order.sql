-- training_order: the training rows `training_rows` (a registered Arrow table of one run, with prompt_id and
-- sample_idx) in the order their run stored them: shard by shard, rows in order (train.row_order 'stored').
-- A rollout writes its prompts in the prompt source's order, each prompt's samples 0..n-1; an import keeps
-- its file's line order. That is the order of the reference's JSONL, which its trainer reads
-- (docs/reference-parity.md). Params: $glob (the run's trajectories shard files).
with stored as (
    select prompt_id, sample_idx, filename, file_row_number
    from read_parquet($glob, filename = true, file_row_number = true)
),

final as (
    select r.*
    from training_rows r
    join stored s using (prompt_id, sample_idx)
    order by s.filename, s.file_row_number
)

select * from final;

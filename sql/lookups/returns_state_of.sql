-- The recorded shard signatures of the given runs' returns at $gamma and $repeat_penalty_lambda.
-- Params: $run_ids, $gamma, $repeat_penalty_lambda.
with state_in as (
    select run_id, signature
    from returns_state
    where gamma = $gamma and repeat_penalty_lambda = $repeat_penalty_lambda and list_contains($run_ids, run_id)
),

final as (
    select * from state_in order by run_id
)

select * from final;

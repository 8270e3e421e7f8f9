-- Record the shard signature the returns rows of each run were computed from (see tables/returns_state).
-- Params: $run_ids varchar[], $signatures varchar[] (same order), $gamma, $repeat_penalty_lambda.
-- Replaces those runs' rows at $gamma and $repeat_penalty_lambda.
with computed as (
    select run_id, count(*) as rows
    from returns
    where gamma = $gamma and repeat_penalty_lambda = $repeat_penalty_lambda and list_contains($run_ids, run_id)
    group by run_id
),

signed as (
    select unnest($run_ids) as run_id, unnest($signatures) as signature
),

final as (
    select s.run_id, $gamma::double as gamma, $repeat_penalty_lambda::double as repeat_penalty_lambda, s.signature, coalesce(c.rows, 0) as rows
    from signed s
    left join computed c using (run_id)
)

select * from final;

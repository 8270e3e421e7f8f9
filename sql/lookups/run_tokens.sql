-- Tokens the policy generated in one run (completion tokens summed over its turns): what a rollout cost.
-- Params: $run_id.
with turns_in as (
    select completion_tokens from turns where run_id = $run_id
),

final as (
    select coalesce(sum(completion_tokens), 0)::bigint as tokens, count(*) as turns
    from turns_in
)

select * from final;

{#- Data-quality scores per run, table and Kahn category, with the change since the table's previous
    run. A score is the share of checks that passed; the row pass rate weighs each row-level check
    by the rows it looked at. -#}

with

results as (

    select * from {{ ref('stg_quality__dq_results') }}

),

scored as (

    select
        run_id,
        layer,
        source_system,
        table_name,
        category,
        max(checked_at) as checked_at,
        count(*) as checks,
        count_if(status = 'passed') as checks_passed,
        count_if(status = 'failed' and severity = 'error') as errors_failed,
        count_if(status = 'failed' and severity = 'warning') as warnings_failed,
        coalesce(sum(failing_rows), 0) as failing_rows,
        coalesce(sum(case when failing_rows is not null then rows_checked end), 0) as rows_checked
    from results
    group by run_id, layer, source_system, table_name, category

),

trended as (

    select
        *,
        round(checks_passed / checks, 4) as score,
        case
            when rows_checked > 0 then round(1 - failing_rows / rows_checked, 6)
        end as row_pass_rate,
        lag(round(checks_passed / checks, 4)) over (
            partition by table_name, category order by checked_at
        ) as previous_score,
        max(checked_at) over (partition by table_name) as table_last_checked_at
    from scored

)

select
    run_id,
    checked_at,
    layer,
    source_system,
    table_name,
    category,
    checks,
    checks_passed,
    errors_failed,
    warnings_failed,
    failing_rows,
    rows_checked,
    score,
    row_pass_rate,
    previous_score,
    round(score - previous_score, 4) as score_change,
    checked_at = table_last_checked_at as is_latest_run
from trended

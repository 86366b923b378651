with

source as (

    select * from {{ source('quality', 'dq_results') }}

),

renamed as (

    select
        run_id,
        checked_at,
        layer,
        source_system,
        table_name,
        check_id,
        expectation,
        category,
        severity,
        status,
        failing_rows,
        rows_checked
    from source

)

select * from renamed

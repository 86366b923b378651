with

source as (

    select * from {{ source('silver', 'exam_observations') }}

),

renamed as (

    select
        exam_key,
        resident_key,
        item_code,
        de_id,
        element,
        cast(value as double) as value,  -- noqa: RF04
        unit,
        sex_code,
        age_at_exam,
        exam_date,
        institution_code,
        _loaded_at as loaded_at
    from source

)

select * from renamed

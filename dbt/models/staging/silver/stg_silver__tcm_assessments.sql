with

source as (

    select * from {{ source('silver', 'tcm_assessments') }}

),

renamed as (

    select
        assessment_key,
        resident_key,
        assessment_date,
        institution_code,
        primary_constitution_code,
        constitution_codes,
        _loaded_at as loaded_at
    from source

)

select * from renamed

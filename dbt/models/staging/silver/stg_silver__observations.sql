with

source as (

    select * from {{ source('silver', 'observations') }}

),

renamed as (

    select
        encounter_key as exam_key,
        resident_key,
        de_id,
        element,
        cast(value as double) as value,
        unit,
        observed_on as exam_date,
        institution_code,
        _loaded_at as loaded_at
    from source
    where encounter_type = 'exam'

)

select * from renamed

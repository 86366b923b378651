with

source as (

    select * from {{ source('silver', 'encounters') }}

),

renamed as (

    select
        encounter_key,
        resident_key,
        encounter_type,
        institution_code,
        department,
        cast(start_time as date) as encounter_date,
        cast(end_time as date) as discharge_date,
        length_of_stay_days,
        admit_route_code,
        discharge_method_code,
        total_cost,
        source_system,
        _loaded_at as loaded_at
    from source

)

select * from renamed

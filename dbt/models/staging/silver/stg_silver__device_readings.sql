with

source as (

    select * from {{ source('silver', 'device_readings') }}

),

renamed as (

    select
        reading_key,
        device_key,
        resident_key,
        measured_at,
        cast(measured_at as date) as measured_on,
        sbp_mmhg,
        dbp_mmhg,
        pulse_per_min,
        _loaded_at as loaded_at
    from source

)

select * from renamed

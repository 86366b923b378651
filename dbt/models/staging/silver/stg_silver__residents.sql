with

source as (

    select * from {{ source('silver', 'residents') }}

),

renamed as (

    select
        resident_key,
        sex_code,
        birth_date,
        district_code
    from source

)

select * from renamed

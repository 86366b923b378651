{#- Every contact with care across exam, outpatient and inpatient settings, one row per encounter, for
    analysts: dates only (no times), the resident's pseudonymous key, district and age band.
    Incremental: each build MERGEs the silver rows loaded since the last one, then removes encounters
    that left silver (a cancelled visit leaves everything downstream). With deletion vectors both MERGEs
    mark the rows they replace or remove instead of rewriting every file holding one of them. -#}

{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='encounter_key',
        post_hook="{{ remove_deleted('encounter_key', ref('stg_silver__encounters')) }}",
        tblproperties={'delta.enableDeletionVectors': 'true'},
    )
}}

with

encounters as (

    select incoming.* from {{ ref('stg_silver__encounters') }} as incoming
    {% if is_incremental() -%}
        where incoming.loaded_at > (select max(published.loaded_at) from {{ this }} as published)
    {%- endif %}

),

residents as (

    select * from {{ ref('stg_silver__residents') }}

),

final as (

    select
        encounters.encounter_key,
        encounters.resident_key,
        encounters.encounter_type,
        encounters.institution_code,
        encounters.department,
        encounters.encounter_date,
        encounters.discharge_date,
        encounters.length_of_stay_days,
        encounters.admit_route_code,
        encounters.discharge_method_code,
        encounters.total_cost,
        residents.district_code,
        residents.sex_code,
        {{ age_band(age_years('residents.birth_date', 'encounters.encounter_date')) }} as age_band,
        encounters.source_system,
        encounters.loaded_at
    from encounters
    left join residents on encounters.resident_key = residents.resident_key

)

select * from final

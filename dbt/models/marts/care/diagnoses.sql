{#- Every coded diagnosis of an outpatient visit or inpatient stay, with its ICD-10 category, block and
    chapter and the tracked condition it counts towards. Incremental like gold.encounters. -#}

{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='diagnosis_key',
        post_hook="{{ remove_deleted('diagnosis_key', ref('stg_silver__diagnoses')) }}",
        tblproperties={'delta.enableDeletionVectors': 'true'},
    )
}}

with

diagnoses as (

    select incoming.* from {{ ref('stg_silver__diagnoses') }} as incoming
    {% if is_incremental() -%}
        where incoming.loaded_at > (select max(published.loaded_at) from {{ this }} as published)
    {%- endif %}

),

ranges as (

    select * from {{ ref('condition_icd10_ranges') }}

),

final as (

    select
        diagnoses.diagnosis_key,
        diagnoses.encounter_key,
        diagnoses.resident_key,
        diagnoses.encounter_type,
        diagnoses.institution_code,
        diagnoses.diagnosed_on,
        diagnoses.seq,
        diagnoses.is_principal,
        diagnoses.icd10_code,
        diagnoses.icd10_category,
        diagnoses.icd10_block,
        diagnoses.icd10_chapter,
        diagnoses.icd10_title,
        diagnoses.category_name_zh,
        diagnoses.coded_from_name,
        ranges.condition,
        diagnoses.loaded_at
    from diagnoses
    -- The ranges do not overlap (the unique test on diagnosis_key would catch it): one condition at most.
    left join ranges
        on diagnoses.icd10_category between ranges.code_from and ranges.code_to

)

select * from final

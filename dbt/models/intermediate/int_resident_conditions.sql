{#- One row per resident and tracked condition: when it was first recorded and by which source.
    Evidence: a diagnosis in a condition's ICD-10 range (seed condition_icd10_ranges) at any encounter,
    or a public-health follow-up form for hypertension or type 2 diabetes. -#}

with

diagnoses as (

    select * from {{ ref('stg_silver__diagnoses') }}

),

ranges as (

    select * from {{ ref('condition_icd10_ranges') }}
    where condition != 'pregnancy'

),

followups as (

    select * from {{ ref('stg_silver__chronic_followups') }}

),

evidence as (

    select
        diagnoses.resident_key,
        ranges.condition,
        diagnoses.diagnosed_on as evidence_on,
        concat(diagnoses.encounter_type, '_diagnosis') as evidence_source
    from diagnoses
    inner join ranges
        on diagnoses.icd10_category between ranges.code_from and ranges.code_to

    union all

    select
        resident_key,
        condition,
        followup_date as evidence_on,
        'public_health_followup' as evidence_source
    from followups

),

final as (

    select
        resident_key,
        condition,
        min(evidence_on) as first_recorded_on,
        min(named_struct('on', evidence_on, 'source', evidence_source)).source as first_source,
        max(evidence_on) as last_recorded_on,
        count(*) as evidence_records
    from evidence
    group by resident_key, condition

)

select * from final

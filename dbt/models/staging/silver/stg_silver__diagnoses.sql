with

source as (

    select * from {{ source('silver', 'diagnoses') }}

),

renamed as (

    select
        diagnosis_key,
        encounter_key,
        resident_key,
        encounter_type,
        institution_code,
        diagnosed_on,
        seq,
        is_principal,
        icd10_code,
        icd10_category,
        icd10_block,
        icd10_chapter,
        icd10_title,
        category_name_zh,
        coded_from_name,
        source_system,
        _loaded_at as loaded_at
    from source

)

select * from renamed

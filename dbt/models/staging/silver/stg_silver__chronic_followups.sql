with

source as (

    select * from {{ source('silver', 'chronic_followups') }}

),

renamed as (

    select
        followup_key,
        resident_key,
        followup_date,
        institution_code,
        method_code,
        adherence_code,
        adverse_reaction_code,
        hypoglycaemia_code,
        result_code,
        sbp_mmhg,
        dbp_mmhg,
        weight_kg,
        fpg_mmol_l,
        cigarettes_per_day,
        alcohol_ml_per_day,
        exercise_per_week,
        referral as referral_recorded,
        next_followup_date,
        _loaded_at as loaded_at,
        case form_type when 't2dm' then 'diabetes' else form_type end as condition
    from source

)

select * from renamed

{#- Per resident, the latest vital signs and labs as columns, judged: BP grade (Chinese 2018 guideline),
    isolated systolic hypertension, BMI category (WS/T 428-2013). Grain: resident_key. -#}

with

measures as (

    select * from {{ ref('int_latest_measures') }}

),

pivoted as (

    select
        resident_key,
        max(case when element = 'bp' then value end) as sbp_mmhg,
        max(case when element = 'bp' then value_2 end) as dbp_mmhg,
        max(case when element = 'bp' then measured_on end) as bp_measured_on,
        -- A number inside max(), not the setting's string: with a string to aggregate, Spark sorts the
        -- rows to group them instead of hashing them.
        case max(case when element = 'bp' then if(setting = 'exam', 1, 0) end)
            when 1 then 'exam'
            when 0 then 'followup'
        end as bp_setting,
        max(case when element = 'bmi' then value end) as bmi,
        max(case when element = 'bmi' then measured_on end) as bmi_measured_on,
        max(case when element = 'waist_cm' then value end) as waist_cm,
        max(case when element = 'waist_cm' then measured_on end) as waist_measured_on,
        max(case when element = 'fpg_mmol_l' then value end) as fpg_mmol_l,
        max(case when element = 'fpg_mmol_l' then measured_on end) as fpg_measured_on,
        max(case when element = 'hba1c_pct' then value end) as hba1c_pct,
        max(case when element = 'hba1c_pct' then measured_on end) as hba1c_measured_on,
        max(case when element = 'tc_mmol_l' then value end) as tc_mmol_l,
        max(case when element = 'tg_mmol_l' then value end) as tg_mmol_l,
        max(case when element = 'ldl_mmol_l' then value end) as ldl_mmol_l,
        max(case when element = 'hdl_mmol_l' then value end) as hdl_mmol_l,
        max(case when element = 'tc_mmol_l' then measured_on end) as lipids_measured_on,
        max(case when element = 'creatinine_umol_l' then value end) as creatinine_umol_l,
        max(case when element = 'creatinine_umol_l' then measured_on end) as creatinine_measured_on
    from measures
    -- Only the elements pivoted here: Spark pushes this under int_latest_measures' aggregation,
    -- which then skips the other exam elements (height, weight, pulse).
    where
        element in (
            'bp', 'bmi', 'waist_cm', 'fpg_mmol_l', 'hba1c_pct', 'tc_mmol_l', 'tg_mmol_l', 'ldl_mmol_l', 'hdl_mmol_l',
            'creatinine_umol_l'
        )
    group by resident_key

),

final as (

    select
        *,
        {{ bp_grade('sbp_mmhg', 'dbp_mmhg') }} as bp_grade,
        {{ is_isolated_systolic('sbp_mmhg', 'dbp_mmhg') }} as is_isolated_systolic,
        {{ bmi_category('bmi') }} as bmi_category
    from pivoted

)

select * from final  -- noqa: AM04
